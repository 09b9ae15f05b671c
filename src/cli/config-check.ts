// `sipwarden config check`: the effective config with secrets masked, or every error in it.
import type { Argv } from 'yargs';
import { accessSync, constants, existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { SipwardenError } from '../model/errors.js';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/types.js';
import { loadContext } from '../config/context.js';
import { configWarnings } from '../config/warnings.js';

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

interface CheckArgs {
  config?: string;
  json: boolean;
  strict: boolean;
}

/** The config as a user writes it: durations as text, secrets replaced. */
export function presentableConfig(config: Config): Record<string, unknown> {
  const smtp = config.notifications.smtp;
  return {
    ...config,
    blocking: { ...config.blocking, dynamicBlockTime: formatDuration(config.blocking.dynamicBlockTime) },
    daemon: { ...config.daemon, reconcileInterval: formatDuration(config.daemon.reconcileInterval) },
    journal: { retention: formatDuration(config.journal.retention) },
    notifications: {
      ...config.notifications,
      minInterval: formatDuration(config.notifications.minInterval),
      smtp: smtp === null ? null : { ...smtp, password: smtp.password === null ? null : '********' },
    },
  };
}

/** A passwordFile must be readable now, not only when the first alert is due; its content is never shown. */
function checkPasswordFile(config: Config, path: string | null): void {
  const file = config.notifications.smtp?.passwordFile ?? null;
  if (file === null) return;
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    const where = path ?? 'built-in defaults';
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SipwardenError('CONFIG_INVALID', `${where}: 1 error(s)`, {
      details: [`${where}: notifications.smtp.passwordFile: cannot read ${file} (${reason}); give a file root can read holding the password`],
    });
  }
}

export function configCommand(yargs: Argv): Argv {
  return yargs.command('config', 'Configuration commands', (y) =>
    y
      .command<CheckArgs>(
        'check',
        'Validate the config file and print the effective config (secrets masked)',
        (c) =>
          c
            .option('json', { type: 'boolean', default: false })
            .option('strict', { type: 'boolean', default: false, describe: 'exit 2 when there are warnings too' }) as unknown as Argv<CheckArgs>,
        (args) => {
          const context = loadContext(args.config);
          checkPasswordFile(context.config, context.configPath);
          const shown = presentableConfig(context.config);
          const origin = context.configPath ?? 'built-in defaults (no config file)';
          const warnings = configWarnings(context.config, { exists: existsSync, readable });
          if (args.json) {
            process.stdout.write(`${JSON.stringify({ path: context.configPath, config: shown, warnings })}\n`);
          } else {
            process.stdout.write(`# ${origin}: valid${warnings.length > 0 ? `, ${warnings.length} warning(s) on stderr` : ''}\n${stringify(shown)}`);
            for (const w of warnings) process.stderr.write(`warning: ${origin}: ${w.key}: ${w.message}\n`);
          }
          if (args.strict && warnings.length > 0) {
            throw new SipwardenError('CONFIG_INVALID', `${origin}: ${warnings.length} warning(s) and --strict`, {
              details: warnings.map((w) => `${origin}: ${w.key}: ${w.message}`),
            });
          }
        },
      )
      .demandCommand(1, 'name a config command: check'),
  );
}
