// The daemon's own log on stderr (journald picks it up): one line per decision and per error.
import type { Decision } from '../model/decision.js';
import { formatDuration } from '../config/duration.js';
import { printable } from '../model/printable.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warning' | 'error';

export class DaemonLog {
  constructor(
    private readonly format: LogFormat,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  private emit(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    if (this.format === 'json') {
      this.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
    } else {
      // Attacker-controlled text can reach a message (a User-Agent in a reason); escape it.
      this.write(`${level === 'info' ? '' : `${level}: `}${printable(message)}\n`);
    }
  }

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.emit('info', message, fields);
  }

  warning(message: string, fields: Record<string, unknown> = {}): void {
    this.emit('warning', message, fields);
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.emit('error', message, fields);
  }

  decision(decision: Decision): void {
    switch (decision.type) {
      case 'block':
        this.info(`block ${decision.target} for ${formatDuration(decision.until - decision.time)}: ${decision.kind}: ${decision.reason}`, { decision });
        break;
      case 'permanent':
        this.info(`permanent block ${decision.target}: ${decision.note}`, { decision });
        break;
      case 'episode':
        this.info(`rate-limit episode ${decision.target} (${decision.evidence} evidence)`, { decision });
        break;
      case 'unblock':
        this.info(`unblock ${decision.target}: ${decision.reason}`, { decision });
        break;
    }
  }
}
