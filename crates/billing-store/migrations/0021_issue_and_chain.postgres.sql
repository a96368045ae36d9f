-- A transaction that issues one billing document ends with one call of
-- sb_issue_and_chain(), sent in the same message as its COMMIT: it takes the
-- series' counter row, stores the document (number and SHA-256 computed
-- here), writes its document.issued event with its webhook deliveries, and
-- chains the transaction's audit events. The counter row and the audit
-- chain's head are then held for this call and the commit only, with no
-- round trip to the service in between. The numbering, the digest and the
-- chain's hashing match the service's own code (crates/billing-store
-- src/documents.rs and billing-app's audit::chain_hash), which the tests
-- check.

-- One field of an audit event's hash: its UTF-8 length as 8 big-endian
-- bytes, then its bytes.
CREATE FUNCTION sb_hashed_field(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT int8send(octet_length(convert_to(t, 'UTF8'))::int8) || convert_to(t, 'UTF8') $$;

-- Its input is one JSON object in the transaction-local setting sb.issue
-- (set by the statement before, with the value bound as a parameter), so
-- the call itself names no value.
CREATE FUNCTION sb_issue_and_chain()
RETURNS TABLE (doc_seq bigint, doc_number text, doc_sha256 text, first_audit bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    j jsonb := current_setting('sb.issue')::jsonb;
    p_series text := j->>'series'; p_year bigint := (j->>'year')::bigint;
    p_number_token text := j->>'number_token'; p_sha_token text := j->>'sha_token';
    e_id text := j->>'event_id'; e_type text := j->>'event_type'; e_account text := j->>'event_account';
    e_at bigint := (j->>'event_at')::bigint;
    v_seq bigint; v_number text; v_content text; v_sha text;
    h_seq bigint; h_hash text; h_prev text; v_detail text; v_first bigint; a jsonb;
BEGIN
    INSERT INTO document_counters AS c (series, year, last_seq) VALUES (p_series, p_year, 1)
        ON CONFLICT (series, year) DO UPDATE SET last_seq = c.last_seq + 1 RETURNING c.last_seq INTO v_seq;
    v_number := p_series || '-' || p_year::text || '-'
        || CASE WHEN v_seq < 1000000 THEN lpad(v_seq::text, 6, '0') ELSE v_seq::text END;
    v_content := replace(j->>'content', p_number_token, v_number);
    v_sha := encode(sha256(convert_to(v_content, 'UTF8')), 'hex');
    INSERT INTO documents (id, kind, series, year, seq, number, account_id, source_id, currency, total_minor,
        issued_at, content, sha256)
        VALUES (j->>'id', j->>'kind', p_series, p_year, v_seq, v_number, j->>'account_id', j->>'source_id',
        j->>'currency', (j->>'total_minor')::bigint, (j->>'issued_at')::bigint, v_content, v_sha);
    INSERT INTO events (id, event_type, account_id, resource_id, occurred_at, data)
        VALUES (e_id, e_type, e_account, j->>'event_resource', e_at,
        replace(replace(j->>'event_data', p_number_token, v_number), p_sha_token, v_sha));
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at,
        updated_at)
        SELECT e_id || '.' || w.id, e_id, w.id, 'pending', 0, e_at, e_at, e_at FROM webhook_endpoints w
        WHERE w.status = 'enabled' AND (w.account_id IS NULL OR w.account_id = e_account)
        AND (w.event_types = '*' OR w.event_types LIKE '%,' || e_type || ',%');
    SELECT h.seq, h.hash, h.prev_hash INTO h_seq, h_hash, h_prev FROM audit_head h WHERE h.id = 1 FOR UPDATE;
    v_first := h_seq + 1;
    FOR a IN SELECT x.value FROM jsonb_array_elements(j->'audit') WITH ORDINALITY AS x ORDER BY x.ordinality LOOP
        v_detail := replace(replace(a->>'detail', p_number_token, v_number), p_sha_token, v_sha);
        h_prev := h_hash;
        h_seq := h_seq + 1;
        h_hash := encode(sha256(sb_hashed_field(h_prev) || sb_hashed_field(h_seq::text)
            || sb_hashed_field(a->>'at') || sb_hashed_field(a->>'actor') || sb_hashed_field(a->>'action')
            || sb_hashed_field(a->>'subject') || sb_hashed_field(v_detail)), 'hex');
        INSERT INTO audit_events (seq, at, actor, action, subject, detail, prev_hash, hash)
            VALUES (h_seq, (a->>'at')::bigint, a->>'actor', a->>'action', a->>'subject', v_detail, h_prev, h_hash);
    END LOOP;
    UPDATE audit_head SET seq = h_seq, prev_hash = h_prev, hash = h_hash WHERE id = 1;
    RETURN QUERY SELECT v_seq, v_number, v_sha, v_first;
END
$$;
