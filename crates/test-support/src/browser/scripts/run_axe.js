// Runs axe-core on the whole page (injected beforehand) and returns its violations, reduced to
// what a report needs; or { error } when axe itself failed. Asynchronous: the last argument is
// WebDriver's callback.
const done = arguments[arguments.length - 1];
const targets = (target) =>
  target.map((part) => (Array.isArray(part) ? part.join(' >>> ') : String(part))).join(' | ');
axe
  .run(document, { resultTypes: ['violations'] })
  .then((results) =>
    done({
      violations: results.violations.map((v) => ({
        id: v.id,
        impact: v.impact || null,
        help: v.help,
        help_url: v.helpUrl,
        nodes: v.nodes.map((n) => ({
          target: targets(n.target),
          html: n.html,
          failure_summary: n.failureSummary || null,
        })),
      })),
    }),
  )
  .catch((error) => done({ error: String(error && error.stack ? error.stack : error) }));
