"""The practitioner API (DRF): search and the person page for programs, under the same purpose
rule, policy and audit as the browser pages."""
