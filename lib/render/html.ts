import { createHash } from 'node:crypto';
import { formatSize } from '../manifest/size';
import type { MeasuredLoad } from '../plan/types';
import { MEASURED_HEAD, measuredRows, measuredTitle } from './measured';
import type { Bar, HostReport, ReportModel } from './report-model';

const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#0d9488', '#ea580c', '#4f46e5', '#ca8a04'];

/** Every name and tag goes through here: a guest named like markup stays text. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Colours people expect for common roles; other roles hash onto the palette. */
const KNOWN: Record<string, string> = {
  web: '#2563eb', app: '#4f46e5', db: '#ea580c', database: '#ea580c', mysql: '#ea580c', postgres: '#ea580c',
  memcached: '#059669', cache: '#059669', redis: '#0d9488', batch: '#7c3aed', proxy: '#0891b2', mail: '#ca8a04', desktop: '#db2777',
};

/** A role's colour, the same in every report. */
export function roleColor(role: string): string {
  // Object.hasOwn: a role named `constructor` or `__proto__` must not read Object.prototype.
  return (Object.hasOwn(KNOWN, role) ? KNOWN[role] : undefined) ?? PALETTE[createHash('sha1').update(role).digest()[0] % PALETTE.length];
}

const pct = (v: number, scale: number) => (scale > 0 ? Math.round((v / scale) * 10000) / 100 : 0);

function bar(b: Bar, which: string): string {
  // The bar spans the capacity, or the use when that is larger: over-commit shows past the marker.
  const scale = Math.max(b.capacity, b.used, b.measured ?? 0);
  const over = b.over;
  const measuredOver = b.measured !== undefined && b.measured > b.capacity;
  const segs = b.segments.map((s) => {
    const w = pct(s.value, scale);
    const style = s.kind === 'guest' ? `width:${w}%;background:${roleColor(s.role!)}` : `width:${w}%`;
    const data = s.kind === 'guest' ? ` data-guest="${esc(s.guest!)}" data-role="${esc(s.role!)}"` : '';
    return `<span class="seg ${s.kind}"${data} style="${style}" title="${esc(s.text)}">${esc(s.kind === 'guest' ? s.guest! : s.kind)}</span>`;
  }).join('');
  const marker = over ? `<span class="cap" style="left:${pct(b.capacity, scale)}%" title="capacity ${esc(b.figure.split(' / ')[1])}"></span>` : '';
  const overZone = over ? `<span class="overzone" style="left:${pct(b.capacity, scale)}%;width:${100 - pct(b.capacity, scale)}%"></span>` : '';
  const cls = `bar${over ? (b.hard ? ' over' : ' soft-over') : ''}`;
  // Measured p95 beside what guests declare: a marker where the host really runs, so declared-only bars cannot hide an overload.
  const p95 = b.measured === undefined ? undefined : String(Math.round(b.measured * 100) / 100);
  const measured = p95 === undefined ? '' : `<span class="p95${measuredOver ? ' bad' : ''}" style="left:min(${pct(b.measured!, scale)}%,calc(100% - 3px))" title="measured p95 ${p95}"></span>`;
  return `<div class="row" data-resource="${b.key}" data-which="${which}"><span class="rl">${esc(b.label)}${which === 'before' ? ' <em>before</em>' : which === 'after' ? ' <em>after</em>' : ''}</span><div class="${cls}" data-capacity="${b.capacity}" data-used="${b.used}"${p95 === undefined ? '' : ` data-measured="${p95}"`}>${segs}${overZone}${marker}${measured}</div><span class="fig${over || measuredOver ? ' bad' : ''}">${esc(b.figure)}${b.capacity > 0 ? ` · ${Math.round((b.used / b.capacity) * 100)}%` : ''}${p95 === undefined ? '' : ` · measured p95 ${p95}`}</span></div>`;
}

function hostCard(h: HostReport): string {
  const mem = h.after.find((b) => b.key === 'memory')!;
  const cpu = h.after.find((b) => b.key === 'cpu')!;
  const roles = [...new Set(h.guests.map((g) => g.role))];
  const rows = h.after.map((b) => {
    const before = h.before?.find((x) => x.key === b.key);
    return before ? bar(before, 'before') + bar(b, 'after') : bar(b, '');
  }).join('');
  const guests = h.guests.map((g) => {
    const tags = Object.entries(g.tags).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(' ');
    return `<li data-guest="${esc(g.name)}"><span class="dot" style="background:${roleColor(g.role)}"></span><b>${esc(g.name)}</b> ${esc(g.role)} · ${g.vcpus} vCPU · ${esc(formatSize(g.memoryMiB))}${tags ? ` · <span class="tags">${tags}</span>` : ''}</li>`;
  }).join('');
  const findings = [...(h.stranded ? [h.stranded] : []), ...h.findings].map((f) => `<li>${esc(f)}</li>`).join('');
  return `<section class="host${h.over ? ' overcommitted' : ''}" data-name="${esc(h.name)}" data-mem="${pct(mem.used, mem.capacity)}" data-cpu="${pct(cpu.used, cpu.capacity)}" data-over="${h.over ? 1 : 0}" data-roles="${esc(roles.join(' '))}" data-guests="${esc(h.guests.map((g) => g.name).join(' '))}">
<h2>${esc(h.name)}${h.over ? ' <span class="badge">over-committed</span>' : ''}</h2><p class="sum">${esc(h.summary)}</p>
${rows}
<ul class="guests">${guests || '<li class="none">no guests</li>'}</ul>${findings ? `<ul class="findings">${findings}</ul>` : ''}</section>`;
}

const CSS = `
*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0;color:#1f2937;background:#f8fafc}
header{padding:16px 24px;background:#0f172a;color:#f8fafc}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cbd5e1}
.controls{display:flex;flex-wrap:wrap;gap:12px;padding:12px 24px;background:#e2e8f0;position:sticky;top:0;z-index:2}
.controls label{display:flex;gap:6px;align-items:center}.controls input,.controls select{font:inherit;padding:4px 6px}
main{padding:16px 24px}.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px;margin-bottom:16px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px}.card h3{margin:0 0 8px;font-size:14px}
.legend span{display:inline-flex;align-items:center;gap:4px;margin-right:10px}.dot{display:inline-block;width:10px;height:10px;border-radius:2px}
.hosts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
.host{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px}.host.overcommitted{border-color:#dc2626;box-shadow:0 0 0 1px #dc2626}
.host h2{margin:0;font-size:16px}.sum{margin:2px 0 8px;color:#64748b;font-size:12px}.badge{background:#dc2626;color:#fff;border-radius:4px;padding:1px 6px;font-size:11px}
.row{display:grid;grid-template-columns:150px 1fr 150px;gap:8px;align-items:center;margin:3px 0}.rl{font-size:12px;color:#475569}.rl em{font-style:normal;color:#94a3b8}
.bar{position:relative;display:flex;height:18px;background:#f1f5f9;border:1px solid #cbd5e1;border-radius:3px;overflow:hidden}
.seg{display:block;height:100%;color:#fff;font-size:11px;line-height:18px;padding:0 3px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;border-right:1px solid #fff}
.seg.reserve{background:repeating-linear-gradient(45deg,#94a3b8,#94a3b8 4px,#cbd5e1 4px,#cbd5e1 8px);color:#1e293b}
.seg.overhead{background:repeating-linear-gradient(45deg,#64748b,#64748b 3px,#94a3b8 3px,#94a3b8 6px)}
.bar.over{border-color:#dc2626}.overzone{position:absolute;top:0;bottom:0;background:rgba(220,38,38,.55);pointer-events:none}
.bar.soft-over .overzone{background:rgba(217,119,6,.45)}.p95{position:absolute;top:-2px;bottom:-2px;width:3px;background:#7c3aed}.p95.bad{background:#b45309}.cap{position:absolute;top:-2px;bottom:-2px;width:2px;background:#111827}
.fig{font-size:12px;font-variant-numeric:tabular-nums}.fig.bad{color:#dc2626;font-weight:600}
.guests,.findings{margin:8px 0 0;padding-left:18px;font-size:12px}.findings{color:#b45309}.tags{color:#64748b}
.seg.match{outline:3px solid #facc15;outline-offset:-3px}.seg.dim{opacity:.25}.hidden{display:none}
`;

const JS = `
(function(){
  var hosts=[].slice.call(document.querySelectorAll('.host'));var list=document.querySelector('.hosts');
  var q=document.getElementById('search'),role=document.getElementById('role'),hf=document.getElementById('hostfilter'),sort=document.getElementById('sort'),count=document.getElementById('count');
  function apply(){
    var term=q.value.trim().toLowerCase(),r=role.value,h=hf.value.trim().toLowerCase(),shown=0;
    hosts.forEach(function(el){
      var guests=el.dataset.guests.split(' ').filter(Boolean);
      var ok=(!h||el.dataset.name.toLowerCase().indexOf(h)>=0)&&(!r||el.dataset.roles.split(' ').indexOf(r)>=0)&&(!term||guests.some(function(g){return g.toLowerCase().indexOf(term)>=0}));
      el.classList.toggle('hidden',!ok);if(ok)shown++;
      el.querySelectorAll('.seg[data-guest]').forEach(function(s){
        var m=term&&s.dataset.guest.toLowerCase().indexOf(term)>=0;s.classList.toggle('match',!!m);
        s.classList.toggle('dim',!!(r&&s.dataset.role!==r));
      });
    });
    count.textContent=shown+' of '+hosts.length+' hosts';
  }
  function order(){
    var k=sort.value;var by={name:function(a,b){return a.dataset.name<b.dataset.name?-1:1},
      mem:function(a,b){return b.dataset.mem-a.dataset.mem},cpu:function(a,b){return b.dataset.cpu-a.dataset.cpu},
      over:function(a,b){return (b.dataset.over-a.dataset.over)||(b.dataset.mem-a.dataset.mem)}}[k];
    hosts.sort(by).forEach(function(el){list.appendChild(el)});
  }
  [q,role,hf].forEach(function(e){e.addEventListener('input',apply)});sort.addEventListener('change',function(){order();apply()});
  order();apply();
})();
`;

const MEASURED_CSS = '.measured table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}.measured td,.measured th{padding:2px 6px;text-align:left}.measured .mg td:first-child{padding-left:18px}.measured .bad{color:#b45309;font-weight:600}';

/** Measured p95 beside declared load, a host then its guests; hosts over their soft limit in amber. */
function measuredCard(ml: MeasuredLoad): string {
  const head = MEASURED_HEAD.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = measuredRows(ml).map((r) => `<tr class="${r.host ? 'mh' : 'mg'}">${r.cells.map((c, i) => `<td${i > 0 && r.over[i - 1] ? ' class="bad"' : ''}>${esc(c.trim())}</td>`).join('')}</tr>`).join('');
  // Its style travels with it: reports of fleets without samples keep their bytes.
  return `<div class="card measured"><style>${MEASURED_CSS}</style><h3>${esc(measuredTitle(ml))}</h3><table><tr>${head}</tr>${rows}</table></div>`;
}

/**
 * One self-contained HTML page: per host a bar for memory, vCPUs, disk, CPU
 * load, IOPS and network, each guest a segment coloured by role, reserve and
 * overhead hatched, capacity marked, over-commit in red; a fleet summary; and
 * sorting, filtering and search for fleets of hundreds of hosts. No network.
 */
export function renderHtml(m: ReportModel): string {
  const legend = m.roles.map((r) => `<span><span class="dot" style="background:${roleColor(r)}"></span>${esc(r)}</span>`).join('')
    + '<span><span class="dot" style="background:#94a3b8"></span>reserve / overhead</span><span><span class="dot" style="background:#dc2626"></span>over capacity</span>';
  const util = m.utilization.map((u) => `<div class="row"><span class="rl">${esc(u.label)}</span><div class="bar"><span class="seg guest" style="width:${Math.min(100, pct(u.used, u.capacity))}%;background:#334155"></span></div><span class="fig">${esc(u.figure)} · ${u.capacity ? Math.round((u.used / u.capacity) * 100) : 0}%</span></div>`).join('');
  const stranded = m.stranded.length ? `<ul>${m.stranded.map((s) => `<li><b>${esc(s.host)}</b>: ${esc(s.message)}</li>`).join('')}</ul>` : '<p>None.</p>';
  const emptiable = m.emptiable.length ? `<ul>${m.emptiable.map((e) => `<li><b>${esc(e.host)}</b>: ${esc(e.moves.join(', '))}</li>`).join('')}</ul>` : '<p>None: every host is needed.</p>';
  const roleOptions = m.roles.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hvkit capacity: ${esc(m.fleet)}</title><style>${CSS}</style></head>
<body><header><h1>Capacity of fleet ${esc(m.fleet)}</h1><p>${m.source === 'plan' ? 'A plan, before → after' : 'As deployed (state)'} · ${m.hosts.length} hosts · ${m.hosts.reduce((a, h) => a + h.guests.length, 0)} guests · bars span each host's capacity (black marker where use goes past it)</p></header>
<div class="controls"><label>Search guest <input id="search" type="search" placeholder="web-01"></label>
<label>Role <select id="role"><option value="">all</option>${roleOptions}</select></label>
<label>Host <input id="hostfilter" type="search" placeholder="host name"></label>
<label>Sort <select id="sort"><option value="name">name</option><option value="mem">memory used</option><option value="cpu">CPU load</option><option value="over">over-committed first</option></select></label>
<span id="count"></span><span class="legend">${legend}</span></div>
<main><div class="summary"><div class="card"><h3>Fleet utilization</h3>${util}</div>
<div class="card"><h3>Stranded capacity and what would fill it</h3>${stranded}</div>
<div class="card"><h3>Hosts that could be emptied (each on its own)</h3>${emptiable}<p class="note">${m.emptiableRules === 'code' ? "Only guests hvkit placed move, within their host selectors, as plan --rebalance moves them." : "Counts every guest as free to move to any host of its provider: this ignores code's placement rules (guests pinned in a Host, host selectors); plan --rebalance follows them."}</p></div>${m.measured ? measuredCard(m.measured) : ''}</div>
<div class="hosts">${m.hosts.map(hostCard).join('\n')}</div></main>
<script>${JS}</script></body></html>
`;
}
