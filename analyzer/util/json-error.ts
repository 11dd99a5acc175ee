// Where a JSON text stops being JSON. Node's own message often says only
// "Unexpected token '}', "<the whole text>" is not valid JSON", with no
// position, and a pack error must name the line and column. Called only after
// JSON.parse has failed; iterative, so deep nesting cannot overflow the stack.

export interface JsonError {
  line: number;
  column: number;
  reason: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const LITERAL = /true|false|null/y;

type Expect = 'value' | 'key' | 'colon' | 'comma-or-end' | 'done';

export function jsonError(text: string): JsonError | null {
  const stack: ('{' | '[')[] = [];
  let expect = 'value' as Expect;
  let i = 0;
  const at = (reason: string): JsonError => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    return { line, column: i - before.lastIndexOf('\n'), reason };
  };
  const found = () => (i >= text.length ? 'the end of the file' : `'${text[i]}'`);
  const afterValue = () => { expect = stack.length ? 'comma-or-end' : 'done'; };
  const sticky = (re: RegExp): number => {
    re.lastIndex = i;
    return re.test(text) ? re.lastIndex : -1;
  };
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
    const c = text[i];
    if (expect === 'done') return i < text.length ? at(`unexpected ${found()} after the end of the value`) : null;
    if (c === undefined) return at('unexpected end of the file');
    switch (expect) {
      case 'value':
        if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          expect = c === '{' ? 'key' : 'value';
          // an empty container closes at once
          while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
          if (text[i] === (c === '{' ? '}' : ']')) { stack.pop(); i++; afterValue(); }
          continue;
        }
        if (c === '"') {
          const end = sticky(STRING);
          if (end < 0) return at('a string that is not closed or has a bad escape or control character');
          i = end;
          afterValue();
          continue;
        }
        {
          const end = Math.max(sticky(NUMBER), sticky(LITERAL));
          if (end < 0) return at(`expected a value, found ${found()}`);
          i = end;
          afterValue();
        }
        continue;
      case 'key': {
        if (c !== '"') return at(`expected a key in double quotes, found ${found()}`);
        const end = sticky(STRING);
        if (end < 0) return at('a key that is not closed or has a bad escape or control character');
        i = end;
        expect = 'colon';
        continue;
      }
      case 'colon':
        if (c !== ':') return at(`expected ':', found ${found()}`);
        i++;
        expect = 'value';
        continue;
      case 'comma-or-end': {
        const top = stack[stack.length - 1];
        const close = top === '{' ? '}' : ']';
        if (c === ',') {
          i++;
          expect = top === '{' ? 'key' : 'value';
          continue;
        }
        if (c === close) {
          stack.pop();
          i++;
          afterValue();
          continue;
        }
        return at(`expected ',' or '${close}', found ${found()}`);
      }
    }
  }
}
