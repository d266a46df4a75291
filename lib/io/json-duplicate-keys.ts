/** A check JSON.parse cannot make: repeated keys in one object (it keeps the last one silently). */

/**
 * The first key that appears twice in one object of a valid JSON text (`JSON.parse` silently
 * keeps the last), with the top-level key holding that object (`undefined` at the top level).
 */
export function firstDuplicateKey(text: string): { key: string; under?: string } | undefined {
  // One frame per open object or array: its keys so far (objects only) and the top-level key above it.
  const stack: { keys?: Set<string>; under?: string }[] = [];
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
        if (top.keys.has(key)) return { key, under: top.under };
        top.keys.add(key);
        if (stack.length === 1) lastTopKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      stack.push({ keys: c === '{' ? new Set() : undefined, under: stack.length === 0 ? undefined : lastTopKey });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1]?.keys !== undefined;
    }
  }
  return undefined;
}
