"""Assurance pack pages: the list, a pack (on screen, XLSX and PDF), preparing a draft,
narrative and actions, signing off, acknowledging, queries and corrections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from consortium import access, assurance, security, twofactor
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView
from consortium.models import Organisation, Role
from consortium.views import act_or_refuse, form_page, record_button, save_or_refuse
from consortium.xlsx import xlsx_file_response
from contracts.access.assurance import (
    can_prepare_packs,
    can_respond_to_pack,
    can_see_packs,
)
from contracts.filters.assurance import PackFilter
from contracts.forms.assurance import (
    ActionForm,
    AnswerForm,
    NarrativeForm,
    PrepareForm,
    QueryForm,
    SignOffForm,
)
from contracts.models import AssurancePack, PackAction, PackQuery
from contracts.pdf.assurance import reader_pdf
from contracts.selectors.assurance import other_versions, pack_queries, pack_summary
from contracts.services import assurance as svc
from contracts.tables.assurance import PackTable
from contracts.xlsx.assurance import pack_workbook


class PackList(ConcordListView):
    model = AssurancePack
    table_class = PackTable
    filterset_class = PackFilter
    title = "Assurance packs"
    export_name = "assurance-packs"
    readers = staticmethod(can_see_packs)
    add_action = ("Prepare a pack", "assurance:pack_prepare", can_prepare_packs)

    def get_base_queryset(self):
        return AssurancePack.objects.select_related("contract", "contract__commissioner")


def _pack(request, pk):
    return access.get_visible_or_404(
        AssurancePack.objects.select_related(
            "contract",
            "contract__commissioner",
            "previous",
            "signed_off_by",
            "acknowledged_by",
        ),
        request.user,
        pk=pk,
    )


def reader_members(user, pack):
    """The members whose rows `user` reads in the pack: None (all of them) for the lead and
    the contract's commissioner, else the names of the member organisations they manage."""
    a = access.actor(user)
    if a.oversees_consortium or can_respond_to_pack(user, pack):
        return None
    return list(
        Organisation.objects.filter(pk__in=a.orgs(Role.CVO_MANAGER)).values_list("name", flat=True)
    )


def reader_snapshot(user, pack, members=...):
    """The pack as `user` reads it: whole for the lead and the contract's commissioner; for a
    member, only its own rows of the tables that name members."""
    if members is ...:
        members = reader_members(user, pack)
    if members is None:
        return pack.snapshot
    return assurance.for_member(pack.snapshot, members)


@login_required
def pack_detail(request, pk):
    pack = _pack(request, pk)
    user = request.user
    lead = can_prepare_packs(user)
    responder = can_respond_to_pack(user, pack)
    queries = pack_queries(user, pack)
    members = reader_members(user, pack)
    snapshot = reader_snapshot(user, pack, members)
    missing = pack.missing_at_sign_off(members)
    return render(
        request,
        "contracts/pack_detail.html",
        {
            "pack": pack,
            "snapshot": snapshot,
            "missing": missing,
            "summary": pack_summary(snapshot, missing=missing, queries=queries),
            "title": str(pack),
            "lead": lead,
            "responder": responder,
            "queries": queries,
            "versions": other_versions(user, pack),
            "draft_actions": list(pack.actions.order_by("id")) if pack.is_draft and lead else [],
            "can_acknowledge": responder and pack.state == AssurancePack.State.SIGNED_OFF,
            "can_query": responder and pack.is_issued,
            "can_correct": lead and pack.is_issued,
            "answer_form": AnswerForm() if lead else None,
            "sign_off_failed": svc.sign_off_failed(pack),
        },
    )


@login_required
def pack_prepare(request):
    access.require(can_prepare_packs(request.user))
    form = PrepareForm(request.POST or None, user=request.user)

    def save():
        start, end = form.cleaned_data["period"]
        return svc.pack_prepare(
            contract=form.cleaned_data["contract"], start=start, end=end, by=request.user
        )

    return form_page(
        request,
        form,
        save,
        success="Draft prepared with today's figures. Write the narrative, then sign it off.",
        title="Prepare an assurance pack",
        submit_label="Prepare the draft",
    )


@login_required
def pack_edit(request, pk):
    pack = _pack(request, pk)
    access.require(can_prepare_packs(request.user))
    if not pack.is_draft:
        messages.error(request, pack.frozen_message())
        return redirect(pack)
    form = NarrativeForm(request.POST or None, instance=pack)
    return form_page(
        request,
        form,
        lambda: svc.pack_save_narrative(
            pack=pack,
            by=request.user,
            narrative=form.cleaned_data["narrative"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        success="Narrative saved.",
        title=f"Narrative: {pack}",
        object=pack,
    )


@login_required
def action_edit(request, pk, action_pk=None):
    pack = _pack(request, pk)
    access.require(can_prepare_packs(request.user))
    action = None
    if action_pk is not None:
        action = access.get_visible_or_404(PackAction, request.user, pk=action_pk, pack=pack)
    if not pack.is_draft:
        messages.error(request, pack.frozen_message())
        return redirect(pack)
    form = ActionForm(request.POST or None, instance=action or PackAction())
    return form_page(
        request,
        form,
        lambda: svc.action_save(
            pack=pack,
            by=request.user,
            action=action,
            expected_version=form.cleaned_data["expected_version"],
            **{k: form.cleaned_data[k] for k in ("text", "owner", "due", "status")},
        ),
        success="Action saved.",
        to=lambda a: pack.get_absolute_url(),
        title="Change an action" if action else "Add an action",
        object=pack,
    )


@record_button(_pack, lambda user, pack: can_prepare_packs(user))
def pack_refresh(request, pack):
    return act_or_refuse(
        request,
        lambda: svc.pack_refresh(pack=pack, by=request.user),
        success="Figures taken again.",
        back=pack,
    )


@login_required
def pack_sign_off(request, pk):
    pack = _pack(request, pk)
    access.require(can_prepare_packs(request.user))
    if pack.is_signing:
        return redirect(_signing_url(pack))
    if not pack.is_draft:
        messages.error(request, pack.frozen_message())
        return redirect(pack)
    # Signing off freezes what the commissioner is told: a fresh second factor first.
    if ask := twofactor.fresh_factor_response(request):
        return ask
    gaps = svc.signoff_gaps(pack, request.user)
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if gaps and not form.cleaned_data["confirm"]:
            form.add_error("confirm", "Confirm that you sign off with these still missing.")
        else:
            response = save_or_refuse(
                request,
                form,
                lambda: svc.pack_sign_off(
                    pack=pack, by=request.user, confirmed=gaps, in_background=True
                ),
                success=_signed_off_message,
                to=lambda signed: signed if signed.is_issued else _signing_url(signed),
            )
            if response:
                return response
    return render(
        request,
        "contracts/pack_sign_off.html",
        {"pack": pack, "gaps": gaps, "form": form, "title": f"Sign off {pack}"},
    )


def _signing_url(pack):
    return reverse("assurance:pack_signing", args=[pack.pk])


def _signed_off_message(pack):
    if pack.is_issued:
        return f"Signed off. Digest {pack.digest}."
    return "Signed off. Concord is freezing the figures and writing the PDF."


@login_required
def pack_signing(request, pk):
    """A sign-off's progress while a task freezes the pack's figures and writes its PDF, then
    the signed-off pack (or what went wrong, and for the lead a way to try again). The page
    refreshes itself meanwhile."""
    pack = _pack(request, pk)
    if pack.is_draft:
        return redirect(pack)
    failed = svc.sign_off_failed(pack)
    return render(
        request,
        "contracts/pack_signing.html",
        {
            "pack": pack,
            "title": f"Signing off {pack}",
            "failed": failed,
            "preparing": pack.is_signing and not failed,
            "progress": svc.sign_off_progress(pack),
            "can_retry": failed and can_prepare_packs(request.user),
        },
    )


@record_button(_pack, lambda user, pack: can_prepare_packs(user))
def pack_sign_off_retry(request, pack):
    return act_or_refuse(
        request,
        lambda: svc.pack_sign_off_retry(pack=pack, by=request.user),
        success=lambda p: _signed_off_message(p) if p.is_issued else "Trying again.",
        back=_signing_url(pack),
    )


@record_button(_pack, can_respond_to_pack)
def pack_acknowledge(request, pack):
    return act_or_refuse(
        request,
        lambda: svc.pack_acknowledge(pack=pack, by=request.user),
        success="Acknowledged. The lead can see that you have.",
        back=pack,
    )


@login_required
def query_raise(request, pk):
    pack = _pack(request, pk)
    access.require(can_respond_to_pack(request.user, pack))
    form = QueryForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: svc.query_raise(pack=pack, by=request.user, question=form.cleaned_data["question"]),
        success="Query raised. The lead answers it on the pack.",
        to=lambda q: pack.get_absolute_url(),
        title=f"Raise a query on {pack}",
        object=pack,
        submit_label="Raise the query",
    )


@login_required
def query_answer(request, pk):
    query = access.get_visible_or_404(
        PackQuery.objects.select_related("pack", "pack__contract"), request.user, pk=pk
    )
    access.require(can_prepare_packs(request.user))
    form = AnswerForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: svc.query_answer(query=query, by=request.user, answer=form.cleaned_data["answer"]),
        success="Answer saved. The question and the answer are both kept.",
        to=lambda q: query.pack.get_absolute_url(),
        title="Answer the query",
        object=query.pack,
        submit_label="Save the answer",
    )


@login_required
def pack_revise(request, pk):
    pack = _pack(request, pk)
    access.require(can_prepare_packs(request.user))
    form = ReasonForm(
        request.POST or None,
        help_text="Why the pack is corrected. The signed-off version stays readable.",
    )
    return form_page(
        request,
        form,
        lambda: svc.pack_new_version(
            pack=pack, by=request.user, reason=form.cleaned_data["reason"]
        ),
        success=lambda p: f"Version {p.revision} started as a draft.",
        title=f"Correct {pack}",
        object=pack,
        submit_label="Start a new version",
    )


def _filename(pack, ext):
    return f"assurance-{pack.contract.reference}-{pack.period_start:%Y-%m}-v{pack.revision}.{ext}".lower()


@login_required
def pack_xlsx(request, pk):
    pack = _pack(request, pk)
    members = reader_members(request.user, pack)
    snapshot = reader_snapshot(request.user, pack, members)
    missing = pack.missing_at_sign_off(members)
    queries = pack_queries(request.user, pack)
    data = pack_workbook(
        pack,
        snapshot,
        pack.digest,
        missing=missing,
        summary=pack_summary(snapshot, missing=missing, queries=queries),
    )
    security.log(security.Kind.EXPORT, detail=f"Assurance pack: {_filename(pack, 'xlsx')}")
    return xlsx_file_response(data, _filename(pack, "xlsx").removesuffix(".xlsx"))


@login_required
def pack_pdf(request, pk):
    pack = _pack(request, pk)
    if not pack.snapshot:
        raise Http404("Not found")
    members = reader_members(request.user, pack)
    snapshot = reader_snapshot(request.user, pack, members)
    missing = pack.missing_at_sign_off(members)
    queries = pack_queries(request.user, pack)
    data = reader_pdf(pack, snapshot, missing=missing, queries=queries)
    security.log(security.Kind.EXPORT, detail=f"Assurance pack: {_filename(pack, 'pdf')}")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(pack, "pdf")}"'
    return response
