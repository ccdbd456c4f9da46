// Concord's scripts: the GOV.UK and MoJ components on every page. The build copies both
// packages' self-contained ES module bundles next to this file.
import { initAll as initGovuk } from './govuk-frontend.min.js'
import { initAll as initMoj } from './moj-frontend.min.js'

initGovuk()
initMoj()
