// Overview: the last hour per minute from GET /v1/stats, redrawn every 10 s while the page is open.
import {h, fill, link} from './dom.js';
import {get} from './api.js';
import {title} from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';

export async function overview(view, rest, params, current) {
  const body = h('div', {});
  fill(view, title('Overview'), h('p', {class: 'muted'}, 'The last hour, per minute; updates every 10 seconds.'), body);
  const draw = async () => {
    const s = await get('/v1/stats?window=1h');
    const m = s.minutes;
    const secs = 60;
    fill(body,
      h('div', {class: 'tiles'},
        tile('Attempts/s (last full minute)', rate(last(m, 'delivered') + last(m, 'failed'))),
        tile('Attempt success rate (hour)', pct(sum(m, 'delivered'), sum(m, 'delivered') + sum(m, 'failed'))),
        tile('Pending backlog', String(s.pending.count)),
        tile('Oldest pending', s.pending.oldest_age_seconds == null ? '—' : age(s.pending.oldest_age_seconds)),
        tile('Failing endpoints', s.failing_endpoints.length ? h('a', {href: '#/endpoints?failing=true'}, String(s.failing_endpoints.length)) : '0'),
        tile('Open breakers', String(s.open_breakers.length))),
      h('div', {class: 'charts'},
        chart('Attempts per second', m, [['delivered', d => d.delivered / secs], ['failed', d => d.failed / secs]]),
        chart('Attempt success rate (%)', m, [['success', d => d.attempts ? 100 * d.attempts_ok / d.attempts : null]]),
        chart('Attempt latency (ms)', m, [['p50', d => d.attempt_p50_ms], ['p99', d => d.attempt_p99_ms]]),
        chart('Publish → receive latency (ms)', m, [['p50', d => d.receive_p50_ms], ['p99', d => d.receive_p99_ms]])),
      s.failing_endpoints.length ? h('section', {}, h('h2', {}, 'Failing endpoints'),
        h('ul', {}, s.failing_endpoints.map(e => h('li', {}, link(['endpoints', e.id], e.name || e.id), ' — ' + e.consecutive_failures
          + ' failures in a row' + (s.open_breakers.includes(e.id) ? ', breaker open' : ''))))) : null);
  };
  await draw();
  const timer = setInterval(() => { if (!current()) clearInterval(timer); else draw().catch(() => clearInterval(timer)); }, 10000);
}

const sum = (m, k) => m.reduce((a, d) => a + (d[k] || 0), 0);
const last = (m, k) => m.length > 1 ? (m[m.length - 2][k] || 0) : 0;
const rate = n => (n / 60).toFixed(2);
const pct = (a, b) => b ? (100 * a / b).toFixed(1) + ' %' : '—';
const age = s => s < 120 ? Math.round(s) + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h';

function tile(label, value) {
  return h('div', {class: 'tile'}, h('span', {class: 'tile-label'}, label), h('strong', {class: 'tile-value'}, value));
}

/**
 * A line chart (SVG) of series over the minutes, with a text summary for screen readers. The axis labels are HTML
 * beside the drawing, so they keep the page's text size however wide the chart is drawn.
 */
function chart(name, minutes, series) {
  const W = 600, H = 160, P = 4;
  const values = series.map(([, f]) => minutes.map(f));
  const max = Math.max(1e-9, ...values.flat().filter(v => v != null));
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', name);
  const line = (x1, y1, x2, y2, cls) => {
    const l = document.createElementNS(SVG, 'line');
    [['x1', x1], ['y1', y1], ['x2', x2], ['y2', y2]].forEach(([k, v]) => l.setAttribute(k, v));
    l.setAttribute('class', cls);
    svg.append(l);
  };
  line(0, H - P, W, H - P, 'axis');
  line(1, 0, 1, H - P, 'axis');
  const n = Math.max(minutes.length - 1, 1);
  values.forEach((vs, i) => {
    const pts = vs.map((v, j) => v == null ? null : `${P + (W - 2 * P) * j / n},${(H - P) - (H - 2 * P) * v / max}`).filter(Boolean);
    const pl = document.createElementNS(SVG, 'polyline');
    pl.setAttribute('points', pts.join(' '));
    pl.setAttribute('class', 'series s' + i);
    svg.append(pl);
    for (const pt of pts) { // dots: a minute alone between empty ones still shows
      const [x, y] = pt.split(',');
      const dot = document.createElementNS(SVG, 'circle');
      dot.setAttribute('cx', x);
      dot.setAttribute('cy', y);
      dot.setAttribute('r', 2.5);
      dot.setAttribute('class', 'dot s' + i);
      svg.append(dot);
    }
  });
  const now = series.map(([k], i) => k + ' ' + fmt(values[i].filter(v => v != null).pop())).join(', ');
  return h('figure', {class: 'chart'}, h('figcaption', {}, name, h('span', {class: 'legend'}, series.map(([k], i) => h('span', {class: 'key s' + i}, k)))),
    h('div', {class: 'plot'},
      h('div', {class: 'y-axis', 'aria-hidden': 'true'}, h('span', {class: 'axis-label'}, fmt(max)), h('span', {class: 'axis-label'}, '0')),
      svg),
    h('div', {class: 'x-axis', 'aria-hidden': 'true'}, h('span', {class: 'axis-label'}, '-60 min'), h('span', {class: 'axis-label'}, 'now')),
    h('p', {class: 'sr-only'}, 'Latest: ' + now));
}

function fmt(v) {
  if (v == null) return '—';
  return v >= 100 ? String(Math.round(v)) : v.toFixed(v >= 10 ? 1 : 2);
}
