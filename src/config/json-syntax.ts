// Where a JSON text goes wrong and why, in words a person editing a config file understands.
// JSON.parse gives a position for some errors only, and its wording changes between Node
// versions, so this small scanner finds the first error itself; it is only run on text that
// JSON.parse has already refused.

export interface JsonSyntaxError {
  /** Offset (UTF-16 code units) of the first bad character. */
  offset: number;
  reason: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_$][\w$]*/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;

  const shown = (at: number): string => (at >= text.length ? 'the end of the file' : `'${text[at]}'`);
  function stop(reason: string, at: number = i): never {
    throw new Stop(at, reason);
  }

  const space = (): void => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) stop('comments are not allowed in JSON');
      else return;
    }
  };

  const string = (): void => {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) stop('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) stop('line break or control character inside a string; write \\n or \\t instead');
      if (c === 0x5c) {
        const e = text[i + 1] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) stop('expected 4 hex digits after \\u');
          i += 6;
        } else if (ESCAPES.has(e)) i += 2;
        else stop(`invalid escape '\\${e}' in a string; write \\\\ for a backslash`);
      } else i++;
    }
  };

  const value = (): void => {
    space();
    const c = text[i];
    if (c === undefined) stop('unexpected end of the file, expected a value');
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === "'") stop('strings and property names need double quotes, not single quotes');
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) stop('invalid number');
      i += m[0].length;
      if (m[0].replace('-', '').startsWith('0') && /\d/.test(text[i] ?? '')) stop('numbers cannot start with 0', i - 1);
      return;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text)?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      i += word.length;
      return;
    }
    if (word !== undefined) stop(`expected a value, got ${word}; strings need double quotes`);
    stop(`expected a value, got ${shown(i)}`);
  };

  const members = (close: '}' | ']', member: () => void, what: string): void => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      space();
      const c = text[i];
      if (c === close) {
        i++;
        return;
      }
      if (c !== ',') {
        if (c === undefined) stop(`unexpected end of the file, expected ',' or '${close}'`);
        stop(`expected ',' or '${close}' after ${what}, got ${shown(i)}; is a comma missing?`);
      }
      const comma = i;
      i++;
      space();
      if (text[i] === close) stop(`trailing comma before '${close}', which JSON does not allow`, comma);
    }
  };

  const object = (): void =>
    members(
      '}',
      () => {
        space();
        if (text[i] === "'") stop('strings and property names need double quotes, not single quotes');
        if (text[i] !== '"') {
          if (i >= text.length) stop('unexpected end of the file, expected a property name');
          stop(`expected a property name in double quotes, got ${shown(i)}`);
        }
        string();
        space();
        if (text[i] !== ':') stop(`expected ':' after the property name, got ${shown(i)}`);
        i++;
        value();
      },
      'a property value',
    );

  const array = (): void => members(']', value, 'an array element');

  try {
    space();
    if (i >= text.length) return { offset: i, reason: 'the file is empty, expected a JSON object' };
    value();
    space();
    if (i < text.length) stop(`unexpected ${shown(i)} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, reason: err.reason };
    throw err;
  }
}

/** 1-based line and column of an offset, as editors show them. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}
