// Node module hooks for the stand-in desktop project: `import 'electron'` (in the built Electron main
// and its modules) resolves to the recording stand-in (./electronModule.ts → app/main/testing/standInElectron.ts).
const standIn = new URL('./electronModule.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return next(standIn, context);
  return next(specifier, context);
}
