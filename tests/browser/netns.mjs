// A restrictive network made on this machine for one test: a network
// namespace joined to the host by a veth pair (10.231.N.0/30, the host end
// .1, the namespace end .2), with iptables rules inside the namespace, and a
// way to run Chromium inside it. Nothing leaves the machine: the namespace
// has no route but the veth.
//
// Rules (`block`):
//   'none'      nothing is dropped (until cut(): an outage);
//   'udp'       every UDP datagram out of the namespace is dropped (the
//               hospital or hotel network that only lets TCP through);
//   'tcp-only:P,Q' only TCP to ports P, Q… leaves the namespace (the
//               network that only lets HTTPS through).
//
// Needs root, iproute2 and iptables (the test command installs iptables).

import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const run = promisify(execFile);
const ip = (...args) => run('ip', args);
const inside = (ns, ...args) => run('ip', ['netns', 'exec', ns, ...args]);

// Namespaces are named after the test process, so a run cleans up after an
// earlier one that was killed (its pid is gone) and never touches another
// run's.
const PREFIX = 'cfd';

async function removeStale() {
  const { stdout } = await ip('netns', 'list');
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0];
    const m = name && name.match(new RegExp(`^${PREFIX}(\\d+)x\\d+$`));
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) await ip('netns', 'del', name).catch(() => {});
  }
}

let serial = 0;

const lossRules = (percent) =>
  ['INPUT', 'OUTPUT'].map((chain) => [chain, '!', chain === 'INPUT' ? '-i' : '-o', 'lo', '-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP']);

// Everything but loopback through the delay line: queue 0 out, queue 1 in.
const DELAY_RULES = [
  ['OUTPUT', '!', '-o', 'lo', '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass'],
  ['INPUT', '!', '-i', 'lo', '-j', 'NFQUEUE', '--queue-num', '1', '--queue-bypass'],
];

/** testkit's delay line, built beside the confide binary under test. */
const DELAY_QUEUE = join(dirname(process.env.TEST_CONFIDE_BIN || join(dirname(fileURLToPath(import.meta.url)), '../../target/debug/confide')), 'delay-queue');

const OUTAGE_RULES = [
  ['INPUT', '!', '-i', 'lo', '-j', 'DROP'],
  ['OUTPUT', '!', '-o', 'lo', '-j', 'DROP'],
];

export class IsolatedNetwork {
  /** Creates the namespace and its rules; `dir` holds the Chromium wrapper.
   *  `home`: the HOME the Chromium inside runs with (its NSS database of
   *  trusted certificates is `home/.pki/nssdb`). */
  static async create(dir, { block, home }) {
    await removeStale();
    const n = serial++;
    const net = new IsolatedNetwork();
    net.name = `${PREFIX}${process.pid}x${n}`;
    // Interface names are at most 15 characters.
    const tag = `${(process.pid % 100000).toString(36)}${n}`;
    net.hostIf = `cfh${tag}`;
    const nsIf = `cfn${tag}`;
    const subnet = 1 + ((process.pid * 8 + n) % 250);
    net.hostIp = `10.231.${subnet}.1`;
    net.nsIp = `10.231.${subnet}.2`;
    await ip('netns', 'add', net.name);
    net.created = true;
    await ip('link', 'add', net.hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', net.name);
    await ip('addr', 'add', `${net.hostIp}/30`, 'dev', net.hostIf);
    await ip('link', 'set', net.hostIf, 'up');
    await ip('-n', net.name, 'addr', 'add', `${net.nsIp}/30`, 'dev', nsIf);
    await ip('-n', net.name, 'link', 'set', nsIf, 'up');
    await ip('-n', net.name, 'link', 'set', 'lo', 'up');
    const ipt = (...args) => inside(net.name, 'iptables', ...args);
    await ipt('-A', 'OUTPUT', '-o', 'lo', '-j', 'ACCEPT');
    if (block === 'none') {
      // An ordinary network, for outages made with cut().
    } else if (block === 'udp') {
      await ipt('-A', 'OUTPUT', '-p', 'udp', '-j', 'DROP');
      await ipt('-A', 'INPUT', '-p', 'udp', '!', '-i', 'lo', '-j', 'DROP');
    } else if (block && block.startsWith('tcp-only:')) {
      for (const port of block.slice('tcp-only:'.length).split(',')) {
        await ipt('-A', 'OUTPUT', '-p', 'tcp', '--dport', port, '-j', 'ACCEPT');
      }
      await ipt('-A', 'OUTPUT', '-j', 'DROP');
    } else {
      throw new Error(`unknown block rule ${block}`);
    }
    net.chromium = join(dir, `chromium-in-${net.name}`);
    const env = home ? `env HOME=${home} ` : '';
    await writeFile(net.chromium, `#!/bin/sh\nexec ip netns exec ${net.name} ${env}/usr/bin/chromium "$@"\n`);
    await chmod(net.chromium, 0o755);
    return net;
  }

  /** An outage: every packet in or out of the namespace is dropped, as when
   *  Wi-Fi goes or a phone loses its cell (no reset, no ICMP: connections
   *  just stop hearing anything). */
  async cut() {
    for (const rule of OUTAGE_RULES) await inside(this.name, 'iptables', '-I', ...rule);
  }

  /** Ends the outage. */
  async restore() {
    for (const rule of OUTAGE_RULES) await inside(this.name, 'iptables', '-D', ...rule);
  }

  /** A lossy, slow network both ways: `loss` percent of the packets in
   *  and out of the namespace dropped at random (iptables' statistic
   *  match), and, with `delayMs`, each packet held `delayMs ± jitterMs`
   *  each way. Kernels without sch_netem (this machine's) refuse `tc …
   *  netem`, so the delay is testkit's `delay-queue` on NFQUEUE inside the
   *  namespace (`--queue-bypass`: if it dies, packets pass undelayed). */
  async impair({ loss = 0, delayMs = 0, jitterMs = 0 }) {
    if (loss > 0) {
      for (const rule of lossRules(loss)) await inside(this.name, 'iptables', '-I', ...rule);
    }
    this.impaired = loss;
    if (delayMs > 0) {
      this.delayLine = spawn('ip', ['netns', 'exec', this.name, DELAY_QUEUE, '--queues', '0,1', '--delay-ms', String(delayMs), '--jitter-ms', String(jitterMs)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise((resolve, reject) => {
        this.delayLine.once('exit', (code) => reject(new Error(`delay-queue exited (${code})`)));
        this.delayLine.stdout.once('data', resolve);
      });
      for (const rule of DELAY_RULES) await inside(this.name, 'iptables', '-A', ...rule);
    }
  }

  /** Ends impair(). */
  async clearImpairment() {
    if (this.impaired === undefined) return;
    for (const rule of lossRules(this.impaired)) await inside(this.name, 'iptables', '-D', ...rule).catch(() => {});
    if (this.delayLine) {
      for (const rule of DELAY_RULES) await inside(this.name, 'iptables', '-D', ...rule).catch(() => {});
      const exited = new Promise((resolve) => this.delayLine.once('exit', resolve));
      this.delayLine.kill();
      await exited;
      this.delayLine = undefined;
    }
    this.impaired = undefined;
  }

  /** A narrow downlink: what the host sends into the namespace passes a
   *  token bucket of `kbit` kbit/s (tbf on the host's end of the veth),
   *  with `queueMs` of queue before it drops, as a bottleneck router. */
  async limitDownlink(kbit, queueMs = 200) {
    await run('tc', ['qdisc', 'replace', 'dev', this.hostIf, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '15kb', 'latency', `${queueMs}ms`]);
  }

  /** Ends limitDownlink(). */
  async clearDownlinkLimit() {
    await run('tc', ['qdisc', 'del', 'dev', this.hostIf, 'root']).catch(() => {});
  }

  /** Whether a UDP datagram from inside reaches `host:port` (it must not). */
  async udpGetsOut(host, port) {
    const probe = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ntry:\n  s.sendto(b'x',('${host}',${port}))\n  print('sent')\nexcept OSError:\n  print('dropped')`;
    const { stdout } = await inside(this.name, 'python3', '-c', probe);
    return stdout.trim() === 'sent';
  }

  /** Lets TCP to `port` out as well (inserted before the drop). */
  async allowTcpPort(port) {
    await inside(this.name, 'iptables', '-I', 'OUTPUT', '1', '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT');
  }

  /** Whether a TCP connection from inside reaches `host:port`. */
  async tcpGetsOut(host, port) {
    const probe = `import socket\ntry:\n  socket.create_connection(('${host}',${port}),timeout=3).close()\n  print('open')\nexcept OSError:\n  print('blocked')`;
    const { stdout } = await inside(this.name, 'python3', '-c', probe);
    return stdout.trim() === 'open';
  }

  /** Removes the namespace (its end of the veth goes with it, and the pair). */
  async remove() {
    if (!this.created) return;
    this.created = false;
    if (this.delayLine) this.delayLine.kill();
    await ip('netns', 'del', this.name).catch(() => {});
    await ip('link', 'del', this.hostIf).catch(() => {});
  }
}
