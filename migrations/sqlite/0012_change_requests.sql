-- A patient's request to move an appointment, waiting for the
-- psychologist's approval (the clinic's policy): the proposed start and
-- length, who asked and when. NULL when nothing is asked.
ALTER TABLE appointments ADD COLUMN requested_starts_at INTEGER;
ALTER TABLE appointments ADD COLUMN requested_duration_minutes INTEGER;
ALTER TABLE appointments ADD COLUMN requested_by INTEGER;
ALTER TABLE appointments ADD COLUMN requested_at INTEGER;
