// Evaluates every inline expression of the jsonata-js 2.0.6 suite once per round (the same
// selection as asl/benches/jsonata.rs: cases without time or depth limits) and prints the mean
// time per expression. Usage: node suite.js [suite-dir] [rounds]
const fs = require('fs');
const path = require('path');
const jsonata = require('jsonata');

const root = process.argv[2] || process.env.JSONATA_SUITE || path.join(__dirname, '../../../shared/conformance/jsonata-suite');
const rounds = Number(process.argv[3] || 10);
const cases = [];
for (const g of fs.readdirSync(path.join(root, 'groups')).sort()) {
  const dir = path.join(root, 'groups', g);
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let v;
    try { v = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch (e) { continue; }
    for (const c of Array.isArray(v) ? v : [v]) {
      if (typeof c.expr !== 'string' || c.timelimit !== undefined || c.depth !== undefined) continue;
      let data;
      if (c.data !== undefined) data = c.data;
      else if (typeof c.dataset === 'string') data = JSON.parse(fs.readFileSync(path.join(root, 'datasets', c.dataset + '.json'), 'utf8'));
      cases.push([c.expr, data, c.bindings || {}]);
    }
  }
}

async function round() {
  for (const [expr, data, bindings] of cases) {
    try { await jsonata(expr).evaluate(data, bindings); } catch (e) { /* errors are results too */ }
  }
}

(async () => {
  await round(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await round();
  const ns = Number(process.hrtime.bigint() - t0) / rounds / cases.length;
  console.log(`jsonata-js 2.0.6 on Node ${process.version}: ${cases.length} expressions, ${(ns / 1000).toFixed(2)} µs per expression (compile + evaluate)`);
})();
