/**
 * Mosquitto's password file (mosquitto_passwd format, `user:$7$...`) and ACL file for the issued
 * instrument credentials and the service's own login. Mosquitto reads them at start and on SIGHUP.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { validateTopicPrefix } from '../../../adapters/mqtt/protocol.js';
import { mosquittoHash } from '../../common/secrets.js';

export interface MosquittoFilesInput {
  topicPrefix: string;
  /** The service's own broker login (MQTT_USERNAME / MQTT_PASSWORD): may read and write everything under the prefix. */
  service?: { username: string; password: string };
  instruments: { instrumentId: string; passwordHash: string }[];
}

const SAFE_USERNAME = /^[^\s:#+/]+$/;

export function renderPasswordFile(input: MosquittoFilesInput): string {
  const lines: string[] = [];
  if (input.service) {
    if (!SAFE_USERNAME.test(input.service.username)) throw new Error(`MQTT username "${input.service.username}" cannot go in a password file`);
    lines.push(`${input.service.username}:${mosquittoHash(input.service.password)}`);
  }
  for (const i of [...input.instruments].sort((a, b) => a.instrumentId.localeCompare(b.instrumentId))) {
    if (!SAFE_USERNAME.test(i.instrumentId) || !i.passwordHash.startsWith('$7$')) throw new Error(`bad credential for ${i.instrumentId}`);
    lines.push(`${i.instrumentId}:${i.passwordHash}`);
  }
  return lines.join('\n') + '\n';
}

export function renderAclFile(input: Pick<MosquittoFilesInput, 'topicPrefix' | 'service'>): string {
  const problem = validateTopicPrefix(input.topicPrefix);
  if (problem) throw new Error(problem);
  const base = `${input.topicPrefix}/instruments/%u`;
  const lines = [
    '# Written by the AIMatDesign service: do not edit, it is rewritten when instrument credentials change.',
    '# Every instrument (username = instrument id) publishes its own status, events and results and reads its own jobs.',
    `pattern write ${base}/status`,
    `pattern write ${base}/events`,
    `pattern write ${base}/results`,
    `pattern read ${base}/jobs`,
  ];
  if (input.service) {
    lines.push('', '# The service itself.', `user ${input.service.username}`, `topic readwrite ${input.topicPrefix}/#`);
  }
  return lines.join('\n') + '\n';
}

async function writeAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o640 });
  await rename(tmp, path);
}

export async function writeMosquittoFiles(files: { passwordFile?: string; aclFile?: string }, input: MosquittoFilesInput): Promise<void> {
  if (files.passwordFile) await writeAtomically(files.passwordFile, renderPasswordFile(input));
  if (files.aclFile) await writeAtomically(files.aclFile, renderAclFile(input));
}
