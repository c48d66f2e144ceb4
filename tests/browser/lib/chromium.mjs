// How every browser run here starts Debian's Chromium: headless, with no background traffic, and
// with no host name resolving but 127.0.0.1, so even a request the checks would report cannot
// leave the machine (IP literals are aborted by the checks' own route).
export const CHROMIUM = process.env.SHUYUAN_CHROMIUM || '/usr/bin/chromium';

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
