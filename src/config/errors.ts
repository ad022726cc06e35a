// Every mistake in the command line or the config file becomes a ConfigError: the CLI prints its
// one-line message to stderr and exits 2 before anything is spawned.

export class ConfigError extends Error {
  /** Usage and config errors exit 2, as with most Unix tools, so hosts can tell them from a crash. */
  readonly exitCode = 2;
  override readonly name = 'ConfigError';
}
