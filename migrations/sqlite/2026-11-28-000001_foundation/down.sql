DROP TABLE calendar_years;
DROP TABLE calendar_days;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE firms;
DROP TABLE authorities;
DROP TABLE jurisdictions;
