/** A check JSON.parse cannot make: repeated keys in one object (it keeps the last one silently). */

/**
 * The first key that appears twice in one object of a valid JSON text (`JSON.parse` silently
 * keeps the last), with the top-level key holding that object (`undefined` at the top level).
 */
export function firstDuplicateKey(text: string): { key: string; under?: string } | undefined {
  const dup = firstDuplicateKeyPath(text);
  return dup && { key: dup.key, under: dup.under };
}

/**
 * {@link firstDuplicateKey}, also with the path of the object holding the key: `''` at the
 * top level, else e.g. `.optimizer` or `.a[2].b`.
 */
export function firstDuplicateKeyPath(text: string): { key: string; under?: string; path: string } | undefined {
  // One frame per open object or array: its keys so far (objects only), its last key or
  // element index, its path, and the top-level key above it.
  const stack: { keys?: Set<string>; last?: string; index: number; path: string; under?: string }[] = [];
  let expectKey = false;
  let lastTopKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { key, under: top.under, path: top.path };
        top.keys.add(key);
        top.last = key;
        if (stack.length === 1) lastTopKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const path = parent === undefined ? '' : parent.keys ? `${parent.path}.${parent.last}` : `${parent.path}[${parent.index}]`;
      stack.push({ keys: c === '{' ? new Set() : undefined, index: 0, path, under: stack.length === 0 ? undefined : lastTopKey });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
      expectKey = top?.keys !== undefined;
    }
  }
  return undefined;
}
