// Concord's scripts: the GOV.UK and MoJ components on every page. The build copies both
// packages' self-contained ES module bundles next to this file.
import { initAll as initGovuk } from './govuk-frontend.min.js'
import { FilterToggleButton, initAll as initMoj } from './moj-frontend.min.js'

initGovuk()
initMoj()

// MoJ's initAll leaves out the filter's show and hide button: start it for each list.
for (const $filter of document.querySelectorAll('[data-module="moj-filter"]')) {
  new FilterToggleButton($filter) // eslint-disable-line no-new
}
