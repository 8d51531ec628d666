"""The KPI library of SPEC §3, one module per family.

- base: Kpi, Period (half-open, in the client's reporting time zone), Scope (client + currency)
- aging: open balances by days past due, the drill-down to debtors
- receivables: AR at a date, DSO (simple, count-back), best possible DSO, ADD, CEI
- cash: cash recovered, recovery rate by placement cohort, customers lost
- promises: promise-kept rate by count and by amount
- contacts: contact funnel, first-contact resolution, recontact rate, average handle time
- nps: NPS by kind with its interval
"""
