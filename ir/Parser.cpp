// PLACEHOLDER: replaced by the printer/parser/verifier work.
