"""REST resources for the ledger under /api/v1/. Reads for every permitted role; writes for the
roles whose group holds the add permission (credit managers, administrators)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import TenantScopedViewSet
from access.errors import DomainError
from portfolio import selectors, services
from portfolio.models import Client, Debtor, Invoice, Payment


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


class DebtorInputSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    external_ref = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Debtor.Kind.choices)
    country = serializers.CharField(max_length=2)
    tax_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    vat_number = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                       default="")
    region = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phones = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    emails = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class InvoiceSerializer(serializers.ModelSerializer):
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "client", "debtor", "debtor_name", "number", "issue_date", "due_date",
                  "amount", "currency", "open_balance", "status", "created_at", "updated_at"]
        read_only_fields = fields


class InvoiceInputSerializer(serializers.Serializer):
    debtor = serializers.IntegerField()
    number = serializers.CharField(max_length=64)
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "client", "debtor", "external_ref", "amount", "currency", "value_date",
                  "method", "invoice_reference", "unallocated_amount", "created_at"]
        read_only_fields = fields


class PaymentInputSerializer(serializers.Serializer):
    debtor = serializers.IntegerField()
    external_ref = serializers.CharField(max_length=64)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    value_date = serializers.DateField()
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


def register(router: DefaultRouter) -> None:
    router.register("clients", ClientViewSet, basename="client")
    router.register("debtors", DebtorViewSet, basename="debtor")
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
