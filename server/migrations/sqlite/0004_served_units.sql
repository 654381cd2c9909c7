-- Units a staff member serves besides their own (staff.unit_id): needs
-- assessors, the alarm group, the night patrol and its coordinator serve
-- several units. Read scope and message routing follow this relation.
CREATE TABLE staff_units (
    staff_id TEXT NOT NULL REFERENCES staff(id),
    unit_id  TEXT NOT NULL REFERENCES units(id),
    PRIMARY KEY (staff_id, unit_id)
);
CREATE INDEX staff_units_unit ON staff_units(unit_id);
