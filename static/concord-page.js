// Loaded as a classic script at the top of <body>, before anything renders: marks the page as
// able to run the GOV.UK components (which the module bundle then starts), so that they do not
// flash unstyled. Kept out of the page itself: the content security policy allows no inline
// script.
document.body.className +=
  ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')

// A form marked data-concord-upload shows its progress note while the upload is checked.
document.addEventListener('submit', function (event) {
  var form = event.target
  if (!form.hasAttribute || !form.hasAttribute('data-concord-upload')) return
  var progress = form.querySelector('[data-concord-upload-progress]')
  if (progress) progress.hidden = false
})
