// `npm run build`: compile frontend/concord.scss to static/build/concord.css and put the
// scripts and MoJ's icons beside it. Run from the project root.
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as sass from 'sass'

const out = 'static/build'
const govuk = 'node_modules/govuk-frontend/dist/govuk'
const moj = 'node_modules/@ministryofjustice/frontend/moj'

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'assets/images'), { recursive: true })

// The packages' own deprecation notices are theirs to fix; count them instead of printing
// hundreds of lines, and show everything raised by Concord's own Sass.
let quietened = 0
const logger = {
  warn(message, { deprecation, span, stack }) {
    const where = span?.url?.pathname ?? stack ?? ''
    if (where.includes('node_modules/')) {
      quietened += 1
      return
    }
    console.warn(`${deprecation ? 'Deprecation' : 'Warning'}: ${message}\n${stack ?? ''}`)
  },
  debug(message) {
    console.log(message)
  }
}

const css = sass.compile('frontend/concord.scss', {
  // The project root because MoJ's Sass loads "node_modules/govuk-frontend/…"; node_modules so
  // package paths work from anywhere.
  loadPaths: ['.', 'node_modules'],
  style: 'compressed',
  quietDeps: true,
  logger
})
writeFileSync(join(out, 'concord.css'), css.css)

copyFileSync(join(govuk, 'govuk-frontend.min.js'), join(out, 'govuk-frontend.min.js'))
copyFileSync(join(moj, 'moj-frontend.min.js'), join(out, 'moj-frontend.min.js'))
copyFileSync('frontend/concord.js', join(out, 'concord.js'))

// Only the icons MoJ components draw; no logos or crests.
const icons = readdirSync(join(moj, 'assets/images')).filter((f) => /^icon-.*\.svg$/.test(f))
for (const icon of icons) {
  copyFileSync(join(moj, 'assets/images', icon), join(out, 'assets/images', icon))
}

// GOV.UK Frontend's stylesheet names the crest (the footer's copyright logo, which Concord does
// not show). Concord is not a government service and draws no crest, but the file must exist:
// production's collectstatic refuses a stylesheet that points at a missing file.
writeFileSync(
  join(out, 'assets/images/govuk-crest.svg'),
  '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" aria-hidden="true"></svg>\n'
)

const note = quietened ? ` (${quietened} warnings from node_modules not shown)` : ''
console.log(`Built ${out}: concord.css, concord.js, ${icons.length} icons${note}`)
