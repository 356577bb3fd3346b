// Node 20 reads the file named by NODE_EXTRA_CA_CERTS eagerly at start-up: about 90 ms with Debian's
// whole CA bundle, on every hako command, although only registry pulls and pushes speak TLS. So the
// launchers in bin/ move the variable aside (to HAKO_EXTRA_CA_CERTS) before Node starts; the CLI puts
// it back for the programs we start (conmon, hooks, CNI plugins see the user's environment), and
// the HTTPS requests load the file themselves, once, when they need it.
// (No node:tls here: this module is in the start-up snapshot, and TLS's native parts cannot be.)
import fs from 'node:fs';

let deferredFile: string | undefined;
let loaded: { ca?: string[] } | undefined;

/** Called first thing by the CLI: undoes what the launcher did to the environment. */
export function restoreExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.HAKO_EXTRA_CA_CERTS;
  delete env.HAKO_EXTRA_CA_CERTS;
  deferredFile = file || undefined;
  loaded = undefined;
  if (deferredFile) env.NODE_EXTRA_CA_CERTS = deferredFile;
}

/** TLS options for a request: Node's own roots (tls.rootCertificates) plus the deferred extra
 *  certificates, if any. Like Node, an unreadable file is a warning, not an error. */
export function extraCaOptions(rootCertificates: readonly string[]): { ca?: string[] } {
  if (!deferredFile) return {};
  if (loaded) return loaded;
  try {
    loaded = { ca: [...rootCertificates, fs.readFileSync(deferredFile, 'utf8')] };
  } catch (e) {
    process.stderr.write(`hako: warning: ignoring extra certs from ${deferredFile}: ${(e as Error).message}\n`);
    loaded = {};
  }
  return loaded;
}
