// Debian's coturn (`turnserver`), run for one test the way a clinic would
// run it beside Confide: TURN REST credentials (`use-auth-secret`), TCP and
// UDP on one port, no TLS, relaying from one address.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import net from 'node:net';
import { sleep } from './harness.mjs';

export class Coturn {
  /** Starts turnserver on `ip:port`, relaying from `ip`, with `secret`;
   *  `tls: { port, cert, key }` adds TURN over TLS. */
  static async start(dir, { ip, port, secret, tls }) {
    const turn = new Coturn();
    turn.log = [];
    // prettier-ignore
    const args = [
      '-n', '--no-cli', '--log-file', 'stdout', '--simple-log',
      '--listening-ip', ip, '--relay-ip', ip, '--listening-port', String(port),
      '--use-auth-secret', '--static-auth-secret', secret, '--realm', 'confide.test',
      ...(tls ? ['--tls-listening-port', String(tls.port), '--cert', tls.cert, '--pkey', tls.key] : ['--no-tls']),
      '--no-dtls', '--fingerprint', '--no-multicast-peers',
      '--db', join(dir, 'turndb'), '--pidfile', join(dir, 'turnserver.pid'),
    ];
    turn.process = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    turn.exited = new Promise((resolve) => turn.process.once('exit', resolve));
    turn.process.stdout.on('data', (d) => turn.log.push(d.toString()));
    turn.process.stderr.on('data', (d) => turn.log.push(d.toString()));
    // Ready when its TCP listener accepts.
    for (let tries = 0; ; tries++) {
      if (turn.process.exitCode !== null) throw new Error('turnserver exited:\n' + turn.log.join(''));
      const open = await new Promise((resolve) => {
        const socket = net.connect({ host: ip, port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return turn;
      if (tries > 200) throw new Error('turnserver did not listen within 20 s:\n' + turn.log.join(''));
      await sleep(100);
    }
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.kill('SIGTERM');
    await Promise.race([this.exited, sleep(5000)]);
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}
