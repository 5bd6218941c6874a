// The form control a journey names: by its label's text (the label's own text, without the
// controls nested in it; a trailing "*" or ":" ignored), else by its name, aria-label or id.
// arguments: [wanted, scope selector or null].
// Returns { element, tag, type }, or { error, matches } when several match, or
// { error, available } with every field of the scope described.
const [wanted, scopeSelector] = arguments;
const scope = scopeSelector ? document.querySelector(scopeSelector) : document;
if (!scope) {
  return { error: `nothing matches the scope ${scopeSelector}` };
}
const norm = (text) => (text || '').replace(/\s+/g, ' ').trim();
const bare = (text) => norm(text).replace(/[\s*:]+$/, '');
const labelText = (label) => {
  const copy = label.cloneNode(true);
  copy.querySelectorAll('input, select, textarea, button').forEach((c) => c.remove());
  return norm(copy.textContent);
};
const controls = [...scope.querySelectorAll('input:not([type=hidden]), select, textarea')];
let found = [];
for (const label of scope.querySelectorAll('label')) {
  const text = labelText(label);
  if (label.control && (text === wanted || bare(text) === wanted)) {
    found.push(label.control);
  }
}
if (found.length === 0) {
  found = controls.filter(
    (c) => c.name === wanted || c.getAttribute('aria-label') === wanted || c.id === wanted,
  );
}
found = [...new Set(found)];
const describe = (c) => {
  const labels = [...(c.labels || [])].map(labelText).filter((t) => t);
  const kind = c.tagName === 'INPUT' ? `input type=${c.type}` : c.tagName.toLowerCase();
  const aria = c.getAttribute('aria-label');
  const label = labels.length
    ? `"${labels.join('" / "')}"`
    : aria
      ? `aria-label "${aria}"`
      : '(no label)';
  return `${label} ${kind}${c.name ? ` name=${c.name}` : ''}`;
};
if (found.length === 1) {
  const c = found[0];
  return { element: c, tag: c.tagName.toLowerCase(), type: (c.type || '').toLowerCase() };
}
if (found.length > 1) {
  return { error: `${found.length} fields match`, matches: found.map(describe) };
}
return {
  error: 'no field has this label, name, aria-label or id',
  available: controls.map(describe),
};
