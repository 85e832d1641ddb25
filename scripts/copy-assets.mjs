// tsc compiles only TypeScript; the SQL migrations (and the web's templates and static files) travel too.
import { cpSync, existsSync } from 'node:fs';

for (const dir of ['src/db/migrations', 'src/web/views', 'src/web/static']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
