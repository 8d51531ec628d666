"""REST resources for the ledger under /api/v1/. Reads for every permitted role; writes for the
roles whose group holds the add permission (credit managers, administrators)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import IdField, TenantScopedViewSet
from access.errors import DomainError
from access.requests import signed_in_user
from portfolio import privacy, selectors, services
from portfolio.imports import services as import_services
from portfolio.models import (
    Client,
    CreditNote,
    Debtor,
    ImportJob,
    Invoice,
    Payment,
    PaymentReversal,
)
from portfolio.validation import CountryField, EmailAddressField, MoneyField, SaneDateField

# Phones or e-mail addresses one request may give a debtor.
CONTACTS_MAX = 10


# Output serializers are read-only: writes go through the input serializers and a service. A
# writable relation here would also make the browsable API's form list every client's rows.
class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "vat_number", "country", "currency", "reporting_timezone", "kind"]
        read_only_fields = fields


class DebtorSerializer(serializers.ModelSerializer):
    phones = serializers.SerializerMethodField()
    emails = serializers.SerializerMethodField()

    class Meta:
        model = Debtor
        fields = ["id", "client", "external_ref", "kind", "name", "tax_code", "vat_number",
                  "sector", "founded_year", "address_line", "postal_code", "city", "region",
                  "country", "timezone", "language", "do_not_call", "vulnerable", "deceased",
                  "phones", "emails", "created_at", "updated_at"]
        read_only_fields = fields

    def _points(self, debtor: Debtor, channel: str) -> list[str]:
        return [point.value for point in debtor.contact_points.all() if point.channel == channel]

    def get_phones(self, debtor: Debtor) -> list[str]:
        return self._points(debtor, "phone")

    def get_emails(self, debtor: Debtor) -> list[str]:
        return self._points(debtor, "email")


# Input serializers check with portfolio.validation, the rules the imports apply too; the
# services check again (other callers), with the same functions.
class DebtorInputSerializer(serializers.Serializer):
    client = IdField()
    external_ref = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Debtor.Kind.choices)
    country = CountryField()
    tax_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    vat_number = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                       default="")
    region = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phones = serializers.ListField(
        child=serializers.CharField(max_length=services.PHONE_INPUT_MAX_LENGTH),
        required=False, default=list, max_length=CONTACTS_MAX)
    emails = serializers.ListField(child=EmailAddressField(), required=False, default=list,
                                   max_length=CONTACTS_MAX)


class DebtorFlagInputSerializer(serializers.Serializer):
    flag = serializers.ChoiceField(choices=["do_not_call", "vulnerable", "deceased"])
    value = serializers.BooleanField()


class ErasureOutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text='"erased" or "restricted".')
    erased = serializers.BooleanField()
    restricted = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(),
                                    help_text="Why erasure was refused (empty when erased).")
    message = serializers.CharField()


class InvoiceSerializer(serializers.ModelSerializer):
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "client", "debtor", "debtor_name", "number", "issue_date", "due_date",
                  "amount", "currency", "open_balance", "status", "created_at", "updated_at"]
        read_only_fields = fields


class InvoiceInputSerializer(serializers.Serializer):
    debtor = IdField()
    number = serializers.CharField(max_length=64)
    issue_date = SaneDateField()
    due_date = SaneDateField()
    amount = MoneyField()


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "client", "debtor", "external_ref", "amount", "currency", "value_date",
                  "method", "invoice_reference", "unallocated_amount", "created_at"]
        read_only_fields = fields


class PaymentReversalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentReversal
        fields = ["id", "client", "payment", "amount", "currency", "booked_on", "reason", "note",
                  "created_at"]
        read_only_fields = fields


class PaymentReversalInputSerializer(serializers.Serializer):
    booked_on = SaneDateField()
    reason = serializers.ChoiceField(choices=PaymentReversal.Reason.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PaymentInputSerializer(serializers.Serializer):
    debtor = IdField()
    external_ref = serializers.CharField(max_length=64)
    amount = MoneyField(allow_zero=False)
    value_date = SaneDateField()
    method = serializers.ChoiceField(choices=Payment.Method.choices,
                                     default=Payment.Method.BANK_TRANSFER)
    invoice_reference = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                              default="")


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = ClientSerializer
    client_field = "pk"

    def get_unscoped_queryset(self) -> QuerySet[Client]:
        return Client.objects.order_by("id")


def _debtor_for_write(request: Request, pk: object) -> Debtor:
    try:
        return selectors.debtor_get_for_user(user=request.user, pk=pk)
    except Exception:  # Http404 from the access helper: say which field was wrong
        raise DomainError(f"Debtor {pk} does not exist or is not yours.", code="unknown_debtor",
                          field="debtor") from None


class DebtorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = DebtorSerializer
    filterset_fields = ["client", "kind", "country", "do_not_call"]
    action_permissions = {"flags": ["portfolio.change_debtor"],
                          "export": ["portfolio.export_debtor_data"],
                          "erase": ["portfolio.erase_debtor_data"]}

    def get_unscoped_queryset(self) -> QuerySet[Debtor]:
        return Debtor.objects.prefetch_related("contact_points").order_by("id")

    @extend_schema(request=DebtorInputSerializer,
                   responses={200: DebtorSerializer, 201: DebtorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = DebtorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            client = selectors.client_get_for_user(user=request.user, pk=values.pop("client"))
        except Exception:
            raise DomainError("That client does not exist or is not yours.",
                              code="unknown_client", field="client") from None
        debtor, created = services.debtor_upsert(client=client,
                                                 data=services.DebtorData(**values))
        return Response(DebtorSerializer(debtor).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=DebtorFlagInputSerializer, responses=DebtorSerializer)
    @action(detail=True, methods=["post"], serializer_class=DebtorFlagInputSerializer)
    def flags(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Set or clear do-not-call, vulnerable or deceased; who and when are recorded."""
        debtor = self.get_object()
        data = DebtorFlagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not services.debtor_flag_allowed(user=request.user, flag=data.validated_data["flag"],
                                            value=data.validated_data["value"]):
            raise PermissionDenied("Only a team leader or a credit manager may clear a "
                                   "protective flag.")
        debtor = services.debtor_flag_set(debtor=debtor, flag=data.validated_data["flag"],
                                          value=data.validated_data["value"],
                                          by=signed_in_user(request))
        return Response(DebtorSerializer(debtor).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Everything kept about the debtor, one section per app, for an access request
        (GDPR Art. 15/20); recorded in the audit. Credit managers and administrators."""
        debtor = self.get_object()
        data = privacy.debtor_data_export(debtor=debtor, actor=request.user)
        return Response(data, headers={
            "Content-Disposition": f'attachment; filename="debtor-{debtor.pk}-data.json"'})

    @extend_schema(request=None, responses={200: ErasureOutcomeSerializer})
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Answer an erasure request (GDPR Art. 17): personal fields pseudonymised where the
        law allows it; otherwise processing is restricted (Art. 18) and `reasons` say why.
        Recorded in the audit. Credit managers and administrators."""
        outcome = privacy.debtor_erase(debtor=self.get_object(), actor=request.user)
        return Response({"outcome": "erased" if outcome.erased else "restricted",
                         "erased": outcome.erased, "restricted": outcome.restricted,
                         "reasons": outcome.reasons, "message": outcome.message})


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = InvoiceSerializer
    filterset_fields = ["client", "debtor", "status", "due_date"]

    def get_unscoped_queryset(self) -> QuerySet[Invoice]:
        return Invoice.objects.select_related("debtor").order_by("id")

    @extend_schema(request=InvoiceInputSerializer, responses={201: InvoiceSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = InvoiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        debtor = _debtor_for_write(request, values.pop("debtor"))
        invoice = services.invoice_create(client=debtor.client, debtor=debtor, **values)
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = PaymentSerializer
    filterset_fields = ["client", "debtor", "method", "value_date"]
    action_permissions = {"reverse": ["portfolio.add_paymentreversal"]}

    def get_unscoped_queryset(self) -> QuerySet[Payment]:
        return Payment.objects.order_by("id")

    @extend_schema(request=PaymentInputSerializer,
                   responses={200: PaymentSerializer, 201: PaymentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a payment. The reference is the idempotency key: posting it again returns
        the payment already recorded (200) and moves no money."""
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        debtor = _debtor_for_write(request, values.pop("debtor"))
        payment, created = services.payment_record(client=debtor.client, debtor=debtor, **values)
        return Response(PaymentSerializer(payment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=PaymentReversalInputSerializer,
                   responses={201: PaymentReversalSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Reverse a payment that did not stay paid (bounced, returned, charged back, refunded):
        the invoices it settled reopen, and cash recovered takes it off when it is booked."""
        payment = self.get_object()
        data = PaymentReversalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reversal = services.payment_reverse(payment=payment, by=request.user,
                                            **data.validated_data)
        return Response(PaymentReversalSerializer(reversal).data, status=status.HTTP_201_CREATED)


class CreditNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditNote
        fields = ["id", "client", "invoice", "number", "kind", "amount", "issue_date", "reason",
                  "created_at"]
        read_only_fields = fields


class CreditNoteInputSerializer(serializers.Serializer):
    invoice = IdField()
    number = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=CreditNote.Kind.choices,
                                   default=CreditNote.Kind.CREDIT_NOTE)
    amount = MoneyField(allow_zero=False)
    issue_date = SaneDateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CreditNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = CreditNoteSerializer
    filterset_fields = ["client", "invoice", "kind"]

    def get_unscoped_queryset(self) -> QuerySet[CreditNote]:
        return CreditNote.objects.order_by("id")

    @extend_schema(request=CreditNoteInputSerializer, responses={201: CreditNoteSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Issue a credit note, adjustment or write-off against an invoice."""
        data = CreditNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        invoice_id = values.pop("invoice")
        try:
            invoice = selectors.invoice_get_for_user(user=request.user, pk=invoice_id)
        except Exception:
            raise DomainError(f"Invoice {invoice_id} does not exist or is not yours.",
                              code="unknown_invoice", field="invoice") from None
        note = services.credit_note_issue(invoice=invoice, by=signed_in_user(request), **values)
        return Response(CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)

@extend_schema_field({"type": "string",
                     "description": "One of: " + ", ".join(ImportJob.Kind.values) + "."})
class ImportKindField(serializers.ChoiceField):
    """The kind of an import, documented as a string: an enum component would collide with the
    other enums named "kind" (client, debtor) without a settings override."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ImportJob.Kind.choices, **kwargs)


class ImportProblemSerializer(serializers.Serializer):
    """One rejected row's problem, in English (pages show it in the reader's language)."""

    line = serializers.IntegerField(allow_null=True)
    column = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    kind = ImportKindField(read_only=True)
    # DRF's metaclass takes declared fields out of the class, so this field does not replace
    # Serializer.errors at run time; the stubs cannot see that.
    errors = ImportProblemSerializer(many=True, read_only=True)  # type: ignore[assignment]

    class Meta:
        model = ImportJob
        fields = ["id", "client", "kind", "status", "original_name", "size_bytes",
                  "rows_total", "rows_processed", "to_create", "to_update", "unchanged",
                  "error_count", "errors", "message", "created_at", "commit_requested_at",
                  "finished_at"]
        read_only_fields = fields


class ImportJobInputSerializer(serializers.Serializer):
    client = IdField()
    kind = ImportKindField()
    file = serializers.FileField()


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Imports: POST a file (multipart: file, kind, client) to check it, then POST
    /imports/{id}/commit/ to write it. Large files are checked and written by a worker; poll
    the job for its status and progress."""

    serializer_class = ImportJobSerializer
    filterset_fields = ["client", "kind", "status"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_unscoped_queryset(self) -> QuerySet[ImportJob]:
        return ImportJob.objects.order_by("id")

    @extend_schema(request={"multipart/form-data": ImportJobInputSerializer},
                   responses={201: ImportJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ImportJobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            client = selectors.client_get_for_user(user=request.user, pk=values["client"])
        except Exception:
            raise DomainError("That client does not exist or is not yours.",
                              code="unknown_client", field="client") from None
        upload = values["file"]
        job = import_services.import_job_create(client=client, kind=values["kind"],
                                                fileobj=upload, name=upload.name,
                                                by=signed_in_user(request))
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ImportJobSerializer, 202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        job = self.get_object()
        job = import_services.import_job_commit_request(job=job, by=signed_in_user(request))
        return Response(ImportJobSerializer(job).data,
                        status=status.HTTP_200_OK if job.status == ImportJob.Status.COMMITTED
                        else status.HTTP_202_ACCEPTED)


def register(router: DefaultRouter) -> None:
    router.register("clients", ClientViewSet, basename="client")
    router.register("debtors", DebtorViewSet, basename="debtor")
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("credit-notes", CreditNoteViewSet, basename="creditnote")
    router.register("imports", ImportJobViewSet, basename="import")
