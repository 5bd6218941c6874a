// The option of a select whose text or value is wanted. arguments: [select, wanted].
// Returns { element } or { error, available } with the options' texts.
const [select, wanted] = arguments;
const norm = (text) => (text || '').replace(/\s+/g, ' ').trim();
const options = [...select.options];
const found =
  options.find((o) => norm(o.text) === wanted) || options.find((o) => o.value === wanted);
if (found) {
  return { element: found };
}
return { error: 'no option has this text or value', available: options.map((o) => JSON.stringify(norm(o.text))) };
