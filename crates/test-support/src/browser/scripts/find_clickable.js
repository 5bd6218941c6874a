// The visible button or link a journey names by its text (or aria-label or title, for an icon).
// arguments: [kind ("button" or "link"), wanted text, scope selector or null].
// Returns { element, disabled }, or { error, matches } when several match, or
// { error, available } with the visible texts of that kind.
const [kind, wanted, scopeSelector] = arguments;
const scope = scopeSelector ? document.querySelector(scopeSelector) : document;
if (!scope) {
  return { error: `nothing matches the scope ${scopeSelector}` };
}
const norm = (text) => (text || '').replace(/\s+/g, ' ').trim();
const selector =
  kind === 'link'
    ? 'a[href], [role=link]'
    : 'button, input[type=submit], input[type=button], input[type=reset], [role=button]';
const visible = (el) =>
  el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const names = (el) =>
  [
    norm(el.tagName === 'INPUT' ? el.value : el.innerText),
    norm(el.getAttribute('aria-label')),
    norm(el.getAttribute('title')),
  ].filter((t) => t);
const candidates = [...scope.querySelectorAll(selector)].filter(visible);
const found = candidates.filter((el) => names(el).includes(wanted));
if (found.length === 1) {
  const el = found[0];
  return { element: el, disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true' };
}
if (found.length > 1) {
  return {
    error: `${found.length} visible ${kind}s have this text`,
    matches: found.map((el) => el.outerHTML.slice(0, 120)),
  };
}
return {
  error: `no visible ${kind} has this text`,
  available: candidates.map((el) => JSON.stringify(names(el)[0] || '(no text)')),
};
