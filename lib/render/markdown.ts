import { createTwoFilesPatch } from 'diff';
import { dataLossText } from '../plan/data-loss';
import type { Change, DataLoss, GuestChange, Plan } from '../plan/types';
import { rebalanceLines } from './rebalance-text';
import { MEASURED_HEAD, measuredRows, measuredTitle } from './measured';
import { detailsOf, fitCell, interestingHosts, isOver, markerOf, severityLabel, summaryLine, titleOf } from './describe';
import { placementLineOf } from './placement-text';

/** GitHub refuses comments longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface MarkdownOptions {
  /** @default GITHUB_COMMENT_LIMIT */
  readonly limit?: number;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

/** Escapes text shown outside code blocks so names cannot become markup. */
function md(text: string): string {
  // Messages quote commands as `code`: those spans render as code, the rest is escaped.
  return text.split(/(`[^`\n]+`)/).map((part, i) => (i % 2 ? part : part.replace(/[\\`*_{}[\]<>()#+!|]/g, (c) => `\\${c}`))).join('');
}

/** Unified diff of a guest's rendered config, before → after. */
export function configDiff(guest: string, before: string | null, after: string | null): string {
  return createTwoFilesPatch(before === null ? '/dev/null' : `a/${guest}`, after === null ? '/dev/null' : `b/${guest}`, before ?? '', after ?? '', '', '', { context: 3 })
    .split('\n').filter((l) => !l.startsWith('====')).join('\n');
}

/**
 * The plan as a pull-request comment: summary, fit table, changes, findings,
 * then a collapsible config diff per guest. Kept under the comment limit:
 * sections are cut from the end with a note saying what was left out.
 */
export function renderMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const head: string[] = [];
  head.push(`### hvkit plan: fleet \`${plan.fleet}\``, '', `**${summaryLine(plan)}**${plan.applyable ? '' : ' ❌ This plan has errors and cannot be applied.'}`, '');
  const changes = plan.changes.filter((c) => c.action !== 'noop');
  const withPlacement = (c: Change) => {
    const placed = placementLineOf(plan, c);
    return placed ? [...detailsOf(c), placed] : detailsOf(c);
  };
  const changeLine = (c: Change, details: string[], loss = '') => `- \`${markerOf(c).marker}\` **${md(titleOf(c))}** — ${loss ? `**${md(loss)}**; ` : ''}${md(details.join('; '))}`;
  // Changes that lose guest data come first, in an alert GitHub shows in colour, given up to half the comment.
  const losing = changes.filter((c): c is GuestChange & { dataLoss: DataLoss } => c.kind === 'guest' && c.dataLoss !== undefined);
  if (losing.length) {
    head.push('> [!WARNING]', `> **${losing.length === 1 ? 'This change loses' : `These ${losing.length} changes lose`} guest data:**`);
    let size = 0;
    const lines = losing.map((c) => `> ${changeLine(c, withPlacement(c), dataLossText(c.dataLoss))}`).filter((l) => (size += l.length + 1) <= limit / 2);
    head.push(...lines);
    if (lines.length < losing.length) head.push(`> _… ${losing.length - lines.length} more not shown (comment size limit); the summary line counts them all; run \`hvkit plan\` for the full list._`);
    head.push('');
  }
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    head.push('#### Errors', '');
    for (const d of errors) head.push(`- **${severityLabel(d)}** \`${d.path}\`: ${md(d.message)}`);
    head.push('');
  }
  // A partial plan says so before anything else a reviewer reads.
  for (const d of plan.diagnostics) if (d.code === 'targeting') head.push(`> **${severityLabel(d)}** ${md(d.message)}`, '');
  const shown = interestingHosts(plan);
  const fits = plan.fit.filter((f) => shown.has(f.host));
  const body: string[] = [];
  if (fits.length) {
    body.push('#### Fit (used before → after / capacity)', '', '| host | memory | vCPUs | disk | CPU load | IOPS | network |', '|---|---|---|---|---|---|---|');
    for (const f of fits) {
      const col = (k: string) => f.resources.filter((r) => r.key === k).map((r) => {
        const t = (k === 'disk' ? `${r.label.slice(5)} ` : '') + fitCell(r);
        return isOver(r) ? `**${r.hard ? '🔴' : '🟡'} ${t}**` : t;
      }).join('<br>');
      body.push(`| ${cell(f.host)} | ${cell(col('memory'))} | ${cell(col('vcpus'))} | ${cell(col('disk'))} | ${cell(col('cpu'))} | ${cell(col('iops'))} | ${cell(col('network'))} |`);
    }
    const hidden = plan.fit.length - fits.length;
    if (hidden) body.push('', `_${hidden} more host${hidden === 1 ? '' : 's'} without changes fit._`);
    body.push('');
  }
  if (plan.measured) {
    body.push(`#### ${md(measuredTitle(plan.measured))}`, '', `| ${MEASURED_HEAD.join(' | ')} |`, `|${MEASURED_HEAD.map(() => '---').join('|')}|`);
    for (const r of measuredRows(plan.measured)) {
      body.push(`| ${r.cells.map((c, i) => (i === 0 ? `${r.host ? '' : '↳ '}${cell(c.trim())}` : r.over[i - 1] ? `**🟡 ${cell(c)}**` : cell(c))).join(' | ')} |`);
    }
    body.push('');
  }
  if (plan.drift.length) {
    body.push('#### Drift', '');
    for (const d of plan.drift) body.push(`- ${md(d.message)}${d.leftOut ? ' _(left out by --target)_' : ''}`);
    body.push('');
  }
  if (plan.rebalance) {
    const r = rebalanceLines(plan.rebalance);
    body.push('#### Rebalance', '', md(r.headline), ...(r.emptied.length ? ['', ...r.emptied.map((l) => `- ${md(l)}`)] : []), '');
  }
    const changeLines = changes.filter((c) => !(losing as Change[]).includes(c)).map((c) => changeLine(c, withPlacement(c)));
  const rest = plan.diagnostics.filter((d) => d.severity !== 'error' && d.code !== 'targeting');
  const diagLines = rest.map((d) => `- **${severityLabel(d)}** \`${d.path}\`: ${md(d.message)}`);
  const details = plan.configs.map((c) => {
    const diff = configDiff(c.guest, c.before, c.after).replace(/```/g, '`\u200b``');
    return `<details><summary>${md(c.guest)}: config diff</summary>\n\n\`\`\`diff\n${diff}\n\`\`\`\n</details>\n`;
  });

  const parts = [head.join('\n'), body.join('\n')];
  let used = parts.join('\n').length;
  const room = limit - 600; // keep space for the notes that say what was cut
  const take = (title: string, lines: string[], what: string): void => {
    if (!lines.length) return;
    const kept: string[] = [];
    let size = title.length + 2;
    for (const l of lines) {
      if (used + size + l.length + 1 > room) break;
      kept.push(l);
      size += l.length + 1;
    }
    used += size;
    const cut = lines.length - kept.length;
    parts.push([title, '', ...kept, ...(cut ? [`\n_… ${cut} more ${what} not shown (comment size limit); run \`hvkit plan\` for the full list._`] : []), ''].join('\n'));
  };
  take('#### Changes', changeLines, 'changes');
  take('#### Warnings and notes', diagLines, 'findings');
  take('#### Config diffs', details, 'config diffs');
  return parts.join('\n').trimEnd() + '\n';
}
