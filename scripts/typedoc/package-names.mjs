/**
 * TypeDoc plugin: names each entry module by the import specifier users write. With one program
 * over every package's source (entryPointStrategy "resolve"), TypeDoc would name them by path
 * ("core/src/node"); this maps them to "@samclip/core/node".
 */
import { Converter } from 'typedoc';

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      const match = /^([a-z0-9-]+)\/src(?:\/(.+))?$/.exec(module.name);
      if (!match) {
        app.logger.error(`entry module "${module.name}" is not packages/<name>/src/<entry>; update scripts/typedoc/package-names.mjs`);
        continue;
      }
      module.name = match[2] && match[2] !== 'index' ? `@samclip/${match[1]}/${match[2]}` : `@samclip/${match[1]}`;
    }
  });
}
