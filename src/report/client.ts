/**
 * The one script of the page's own: read the embedded JSON, expand the compact
 * chart data into rows, and draw each chart with the inlined Vega runtime.
 * Expressions are run by vega-interpreter (`ast: true` + `expr`), so the page
 * needs no 'unsafe-eval'. Kept as plain ES2017 text: it is inlined verbatim
 * and its SHA-256 goes into the Content-Security-Policy.
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var root = document.documentElement;
  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var specs = read('report-specs');
  var data = read('report-data');
  if (!specs || !data || typeof vega === 'undefined') {
    root.setAttribute('data-charts', 'none');
    return;
  }
  var files = data.files;
  var STATUS = ['normal', 'outlier', 'failed'];
  function pos(x) { return x !== null && x > 0 ? x : null; }
  // Times for tooltips, in UTC like the rest of the page (Vega would format them in local time).
  function utc(ms) { return new Date(ms).toISOString().replace('T', ' ').replace('Z', ''); }

  function points() {
    var p = data.points, rows = new Array(p.f.length);
    for (var i = 0; i < rows.length; i++) {
      var f = files[p.f[i]];
      rows[i] = {
        file: f.label, path: f.path, rank: f.rank, t: data.t0 + p.t[i], time: utc(data.t0 + p.t[i]),
        ms: p.ms[i], msPlot: Math.max(p.ms[i], 0.001),
        bytes: p.b[i], bytesPlot: Math.max(p.b[i], 1),
        base: pos(p.bm[i]), baseP99: pos(p.bp[i]),
        kind: data.kinds[p.k[i]], status: STATUS[p.s[i]], sev: p.s[i]
      };
    }
    return rows;
  }

  function heat() {
    var h = data.heat, rows = new Array(h.f.length);
    for (var i = 0; i < rows.length; i++) {
      var f = files[h.f[i]], t = data.t0 + h.t[i];
      var cls = 0;
      while (cls < data.heatBounds.length && h.p99[i] >= data.heatBounds[cls]) cls++;
      rows[i] = {
        file: f.label, path: f.path, rank: f.rank, t: t, t2: t + data.heatBucketMs, tm: t + data.heatBucketMs / 2,
        time: utc(t), time2: utc(t + data.heatBucketMs),
        calls: h.n[i], p99: Math.max(h.p99[i], 0.001), max: h.max[i], failed: h.x[i], cls: data.heatClasses[cls]
      };
    }
    return rows;
  }

  function hist() {
    var h = data.hist, rows = [], seen = {};
    for (var i = 0; i < h.f.length; i++) {
      var f = files[h.f[i]], b = h.bin[i];
      rows.push({
        file: f.label, path: f.path, rank: f.rank, mark: 'bin', n: h.n[i],
        lo: Math.pow(10, b / data.binsPerDecade), hi: Math.pow(10, (b + 1) / data.binsPerDecade)
      });
      if (!seen[h.f[i]]) {
        seen[h.f[i]] = true;
        if (pos(f.p50)) rows.push({ file: f.label, path: f.path, rank: f.rank, mark: 'p50', lo: f.p50 });
        if (pos(f.p99)) rows.push({ file: f.label, path: f.path, rank: f.rank, mark: 'p99', lo: f.p99 });
      }
    }
    return rows;
  }

  function history() {
    var h = data.history, rows = [];
    if (!h) return rows;
    for (var i = 0; i < h.f.length; i++) {
      var f = files[h.f[i]], day = utc(h.t[i]).slice(0, 10);
      rows.push({ file: f.label, path: f.path, rank: f.rank, t: h.t[i], day: day, q: 'p50', ms: Math.max(h.p50[i], 0.001), calls: h.n[i] });
      rows.push({ file: f.label, path: f.path, rank: f.rank, t: h.t[i], day: day, q: 'p99', ms: Math.max(h.p99[i], 0.001), calls: h.n[i] });
    }
    return rows;
  }

  // Each view gets rows of its own: Vega tags the objects it ingests.
  var datasets = { points: points, heat: heat, hist: hist, history: history };
  var pending = [];
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) return;
    var spec = specs[id];
    spec.data.forEach(function (d) {
      if (Object.prototype.hasOwnProperty.call(datasets, d.name)) d.values = datasets[d.name]();
    });
    var done;
    try {
      var view = new vega.View(vega.parse(spec, null, { ast: true }), {
        renderer: 'svg', container: el, hover: true, expr: vega.expressionInterpreter
      });
      done = view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); });
    } catch (err) {
      done = Promise.reject(err);
    }
    pending.push(done.catch(function (err) {
      el.setAttribute('data-rendered', 'error');
      el.textContent = 'This chart could not be drawn: ' + (err && err.message ? err.message : String(err));
      console.error(err);
    }));
  });
  Promise.all(pending).then(function () { root.setAttribute('data-charts', 'done'); });
})();
`;
