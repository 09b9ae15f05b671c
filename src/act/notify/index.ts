// Notifications: the report's data and renderings, alert batching (pure), and the SMTP mailer.
export {
  buildReport,
  type Report,
  type ReportInput,
  type ReportJournal,
  type ReportState,
  type KernelCounters,
  type AttackerRow,
  type AttackerStatus,
  type PermanentRow,
} from './report.js';
export { renderReportText, renderAlertText, DETAIL_LIMIT } from './render-text.js';
export { renderReportHtml, renderAlertHtml } from './render-html.js';
export { renderReportJson, reportJson } from './render-json.js';
export { textChart, svgChart } from './chart.js';
export { AlertBatcher, alertFromDecision, EVIDENCE_LIMIT, type BlockAlert, type AlertBatch, type AlertStrike, type BatcherOptions } from './alerts.js';
export { reportMail, alertMail, reportSubject, alertSubject, type MailContent } from './message.js';
export { escapeHtml, plainText, headerText } from './escape.js';
export { sendMail, securityText, type MailerOptions, type SentMail } from './mailer.js';
