// `sipwarden report`: a period's attacks as text, HTML or JSON, or mailed (text + HTML) for cron.
import type { Argv } from 'yargs';
import { SipwardenError } from '../model/errors.js';
import { parseTimeArg } from './time-arg.js';

type ReportFormat = 'text' | 'html' | 'json';

interface ReportArgs {
  config?: string;
  since?: string;
  from?: string;
  to?: string;
  format: ReportFormat;
  mail: boolean;
  top: number;
}

/** The period from --since or --from/--to (default: the last 24 hours). */
export function reportPeriod(args: Pick<ReportArgs, 'since' | 'from' | 'to'>, now: number): { from: number; to: number } {
  if (args.since !== undefined && (args.from !== undefined || args.to !== undefined)) {
    throw new SipwardenError('USAGE', '--since cannot be combined with --from/--to; use --since 24h, or --from T [--to T]');
  }
  if (args.to !== undefined && args.from === undefined) throw new SipwardenError('USAGE', '--to needs --from; use --from T --to T');
  const from = args.from !== undefined ? parseTimeArg('from', args.from, now) : parseTimeArg('since', args.since ?? '24h', now);
  const to = args.to !== undefined ? parseTimeArg('to', args.to, now) : now;
  if (!(from < to))
    throw new SipwardenError('USAGE', `the period is empty: it starts at ${new Date(from).toISOString()} and ends at ${new Date(to).toISOString()}`);
  return { from, to };
}

export function reportCommand(yargs: Argv): Argv {
  return yargs.command<ReportArgs>(
    'report',
    'Attacks in a period (default the last 24 h): printed, or mailed to notifications.to with --mail',
    (y) =>
      y
        .option('since', { type: 'string', describe: 'from this long ago or this time until now (24h, 7d, 2024-01-15); default 24h' })
        .option('from', { type: 'string', describe: 'start of the period (a date, ISO 8601 time, or a time ago)' })
        .option('to', { type: 'string', describe: 'end of the period (default now)' })
        .option('format', { choices: ['text', 'html', 'json'] as const, default: 'text' as const, describe: 'what to print' })
        .option('mail', { type: 'boolean', default: false, describe: 'send it as a text + HTML mail instead of printing it' })
        .option('top', { type: 'number', default: 10, describe: 'how many top attackers to list' }) as unknown as Argv<ReportArgs>,
    async (args) => {
      const now = Date.now();
      const period = reportPeriod(args, now);
      // Loaded here, not at start: other commands never pay for the report and mail code.
      const [{ loadContext }, { collectReport }, { sendMail }, { reportMail }, text, html, json] = await Promise.all([
        import('../config/context.js'),
        import('./report-data.js'),
        import('../act/notify/mailer.js'),
        import('../act/notify/message.js'),
        import('../act/notify/render-text.js'),
        import('../act/notify/render-html.js'),
        import('../act/notify/render-json.js'),
      ]);
      const context = loadContext(args.config);
      const smtp = context.config.notifications.smtp;
      if (args.mail && smtp === null) {
        throw new SipwardenError(
          'MAIL',
          `mail not sent: notifications.smtp is not set in ${context.configPath ?? 'the config (built-in defaults are in force)'}; set it, and notifications.to, to mail reports`,
        );
      }
      const report = await collectReport(context.config, period, { now, top: Math.max(1, Math.floor(args.top)) });
      if (args.mail && smtp !== null) {
        const to = context.config.notifications.to;
        const sent = await sendMail({ smtp, to }, reportMail(report));
        // Silent on success, as cron jobs should be (cron mails any output); a partial refusal is said.
        if (sent.rejected.length > 0) process.stderr.write(`sipwarden: report mailed, but the server refused ${sent.rejected.join(', ')}\n`);
        return;
      }
      const render = { text: text.renderReportText, html: html.renderReportHtml, json: json.renderReportJson }[args.format];
      process.stdout.write(render(report));
    },
  );
}
