// `sipwarden config check`: the effective config with secrets masked, or every error in it.
import type { Argv } from 'yargs';
import { accessSync, constants } from 'node:fs';
import { stringify } from 'yaml';
import { SipwardenError } from '../model/errors.js';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/types.js';
import { loadContext } from '../config/context.js';

interface CheckArgs {
  config?: string;
  json: boolean;
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
        (c) => c.option('json', { type: 'boolean', default: false }) as unknown as Argv<CheckArgs>,
        (args) => {
          const context = loadContext(args.config);
          checkPasswordFile(context.config, context.configPath);
          const shown = presentableConfig(context.config);
          if (args.json) {
            process.stdout.write(`${JSON.stringify({ path: context.configPath, config: shown })}\n`);
            return;
          }
          const origin = context.configPath ?? 'built-in defaults (no config file)';
          process.stdout.write(`# ${origin}: valid\n${stringify(shown)}`);
        },
      )
      .demandCommand(1, 'name a config command: check'),
  );
}
