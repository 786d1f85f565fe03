import type { BuildOptions } from 'esbuild';
import { expect } from 'vitest';

/**
 * esbuild options equivalent to what `sam build` does with a function's `Metadata.BuildProperties`
 * (`BuildMethod: esbuild`), building into `outdir` from the template's directory `root`.
 */
export function esbuildOptionsFromTemplate(
  buildProperties: Record<string, unknown>,
  root: string,
  outdir: string,
): BuildOptions {
  const properties: Record<string, unknown> = { ...buildProperties };
  const options: BuildOptions = {
    bundle: true,
    platform: 'node',
    outdir,
    absWorkingDir: root,
    logLevel: 'silent',
  };
  const take = <T>(name: string) => {
    const value = properties[name];
    delete properties[name];
    return value as T;
  };
  options.entryPoints = take<string[]>('EntryPoints');
  options.format = take<BuildOptions['format']>('Format');
  options.target = take<string>('Target');
  options.minify = take<boolean>('Minify');
  options.sourcemap = take<boolean>('Sourcemap');
  options.external = take<string[]>('External');
  options.mainFields = take<string | undefined>('MainFields')?.split(',');
  options.outExtension = Object.fromEntries(
    (take<string[] | undefined>('OutExtension') ?? []).map((pair) => pair.split('=') as [string, string]),
  );
  // A property this test does not model would make the build here differ from `sam build`.
  expect(Object.keys(properties), 'BuildProperties this test does not translate').toEqual([]);
  return options;
}
