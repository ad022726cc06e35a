// JSON-RPC error codes mcp-leash answers with.

export const ERR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** The server exited (or is not running): MCP SDKs use -32000 for connection closed. */
  serverExited: -32000,
  /** Same code as the SDK's own request timeout, so clients treat both alike. */
  timedOut: -32001,
  /** MCP's "resource not found" (resources/read); a resource hidden by policy is answered so. */
  resourceNotFound: -32002,
} as const;
