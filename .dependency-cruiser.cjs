// The import rules of src/ (`npm run lint:imports`, run by scripts/test.sh): imports point one way,
// down this list, and there are no cycles. No exceptions: a module that needs something from a
// higher layer gets it passed in (a callback, an interface), or the thing moves down.
// README.md "Layout" says what each layer is and why it sits where it does.
const LAYERS = {
  // layer: the layers (folders of src/) it may import, besides its own
  util: [],
  oci: ['util'],
  native: ['oci', 'util'],
  cgroups: ['native', 'oci', 'util'],
  runtime: ['cgroups', 'native', 'oci', 'util'],
  storage: ['native', 'oci', 'util'],
  image: ['storage', 'oci', 'util'],
  network: ['native', 'oci', 'util'],
  engine: ['runtime', 'cgroups', 'storage', 'image', 'network', 'native', 'oci', 'util'],
  build: ['engine', 'runtime', 'cgroups', 'storage', 'image', 'network', 'native', 'oci', 'util'],
  // api: the Docker Engine API service, docker's requests translated to the engine library's calls.
  api: ['build', 'engine', 'runtime', 'cgroups', 'storage', 'image', 'network', 'native', 'oci', 'util'],
  cli: ['api', 'build', 'engine', 'runtime', 'cgroups', 'storage', 'image', 'network', 'native', 'oci', 'util'],
};

const layerRules = Object.entries(LAYERS).map(([layer, below]) => ({
  name: `${layer}-imports-downward`,
  comment: `src/${layer}/ may import only ${below.length ? below.map((l) => `src/${l}/`).join(', ') : 'nothing else of hako'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: [`^src/(${[layer, ...below].join('|')})/`] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-cycles',
      comment: 'a cycle makes two modules one: split out what both need',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'library-api',
      comment: 'src/index.ts (the library API) re-exports the runtime and the OCI types, nothing above them',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/(runtime/index|oci/.*|util/.*)\\.ts$'] },
    },
    {
      name: 'runtime-public-surface',
      comment:
        "above the runtime, only its public surface is imported: src/runtime/index.ts, and root.ts (the state root, light, for the engine's read-only commands); cli/ is the runtime's own front end",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(runtime|cli)/' },
      to: { path: '^src/runtime/', pathNot: '^src/runtime/(index|root)\\.ts$' },
    },
    {
      name: 'hako-init-starts-in-native',
      comment: 'src/native/ is the only place that starts hako-init: nothing else asks where it is',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/native/' },
      to: { path: '^src/native/find\\.ts$' },
    },
    {
      name: 'known-layer',
      comment: 'every folder of src/ is a layer with rules (add a new one to LAYERS)',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${Object.keys(LAYERS).join('|')})/` },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
