-- Fatigue guard: one row per person naming the invitation that holds their latest contact
-- (claimed for sending, or sent) and when it was claimed. A dispatcher takes the row with a
-- conditional upsert in the same transaction as its claim, and only while no other
-- invitation holds it within the fatigue window, so two surveys in one batch or two senders
-- at once can never both invite one person. A message that ends failed, suppressed or
-- expired gives its row back.
CREATE TABLE contact_guard (
    email          TEXT    COLLATE "C" PRIMARY KEY,
    invitation_id  BIGINT  NOT NULL,
    contacted_at   BIGINT  NOT NULL
);
CREATE INDEX contact_guard_invitation ON contact_guard (invitation_id);
