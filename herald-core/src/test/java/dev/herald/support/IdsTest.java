package dev.herald.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdsTest {

    @Test
    void idsArePrefixedBase62OfFixedLength() {
        assertThat(Ids.next("dlv")).matches("dlv_[0-9A-Za-z]{22}");
        assertThat(Ids.next("evt", 0)).matches("evt_[0-9A-Za-z]{22}");
        assertThat(Ids.next("evt", (1L << 48) - 1)).matches("evt_[0-9A-Za-z]{22}");
    }

    @Test
    void idsOfLaterMillisecondsSortAfterEarlierOnesInByteOrder() {
        List<String> ids = new ArrayList<>();
        for (long ms = 1_700_000_000_000L; ms < 1_700_000_000_000L + 5000; ms += 7) {
            ids.add(Ids.next("dlv", ms));
        }
        assertThat(ids).isSorted();
    }

    @Test
    void idsOfTheSameMillisecondAreDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            seen.add(Ids.next("dlv", 1_700_000_000_000L));
        }
        assertThat(seen).hasSize(100_000);
    }
}
