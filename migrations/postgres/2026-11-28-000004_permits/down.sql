DROP TABLE permit_trips;
DROP TABLE permits;
DROP TABLE permit_counters;
