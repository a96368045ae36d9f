-- The language an account reads the console in: a locale tag such as
-- en-US or zh-CN, or NULL when it has chosen none (then the browser's
-- languages decide).
ALTER TABLE accounts ADD COLUMN locale TEXT;
