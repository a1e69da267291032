"""Bank transfer against a PDF invoice: the customer pays to the shop's IBAN with the payment reference;
staff mark the transfer received, or a bank statement import matches it by reference and amount."""

from __future__ import annotations

from .manual import ManualProvider


class BankTransferProvider(ManualProvider):
    code = "bank"
