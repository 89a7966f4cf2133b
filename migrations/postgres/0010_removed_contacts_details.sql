-- A removed contact's e-mail and phone are erased with the seat (the
-- registration itself stays: the audit trail names who opened what). Earlier
-- releases kept them; nothing reads a removed contact's details, so an
-- instance of the previous release runs beside this one unchanged.
UPDATE contacts SET email = NULL, phone = NULL WHERE removed_at IS NOT NULL;
