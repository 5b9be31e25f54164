package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** Loopback is decided on parsed addresses, and a request's address never goes to DNS. */
class LoopbackTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "127.0.0.1               | true",
        "127.255.0.9             | true",
        "::1                     | true",
        "[::1]                   | true",
        "0:0:0:0:0:0:0:1         | true",
        "::ffff:127.0.0.1        | true",
        "[::ffff:7f00:1]         | true",
        "10.0.0.1                | false",
        "128.0.0.1               | false",
        "::ffff:10.0.0.1         | false",
        "::2                     | false",
        "127.example.com         | false",
        "127.0.0.1.nip.io        | false",
        "localhost               | false",
        "127.1                   | false",
        "127.0.0.256             | false",
        "[127.0.0.1]             | false",
        "::1%lo                  | false",
        "''                      | false"})
    void aRequestAddressIsLoopbackOnlyAsAnIpLiteral(String address, boolean loopback) {
        assertEquals(loopback, Loopback.literal(address), address);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "127.0.0.1", "::1", "[::1]", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]",
        "127.0.0.1 ", " 127.0.0.1", "\t::1\n", "[::1] ", " [0:0:0:0:0:0:0:1]", "127.0.0.1\u0000",
        "127.0.0.10", "127.0.0.1.evil", "127.0.0.1:80", "127.0.0.01", "0127.0.0.1", "127.1",
        "2130706433", "0x7f.0.0.1", "\uff11\uff12\uff17.0.0.1", "localhost",
        "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "0:0:0:0:0:ffff:7f00:1",
        "::01", "::0:1", "0::1", "00:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:01", "0:0:0:0:0:0:0:0:1",
        "::1::", "1::1", "::", "0.0.0.0", "[::1", "::1]", "[[::1]]", "[]", "[::1]:8080",
        "::1%lo", "::1%1", "[0:0:0:0:0:0:0:1%lo]", "::1.", "::1 ::1"})
    void theCommonFormsAnswerAsTheFullParseDoes(String address) {
        InetAddress parsed = Loopback.parse(address);
        boolean full = parsed != null && parsed.isLoopbackAddress();

        assertTrue(full || !Loopback.common(address), address);
        assertEquals(full, Loopback.literal(address), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "[0:0:0:0:0:0:0:1]", "0:0:0:0:0:0:0:1"})
    void whatJettyAndTomcatReportForLoopbackNeedsNoParse(String address) {
        assertTrue(Loopback.common(address), address);
    }

    @Test
    void namesAreNotLiterals() {
        assertNull(Loopback.parse("localhost"));
        assertNull(Loopback.parse("127.example.com"));
        assertNull(Loopback.parse(null));
    }

    @Test
    void aHostToListenOnMayBeANameAllOfWhoseAddressesAreLoopback() {
        assertEquals(true, Loopback.host("localhost"));
        assertEquals(true, Loopback.host("127.0.0.1"));
        assertEquals(true, Loopback.host("[::1]"));
        assertEquals(false, Loopback.host("0.0.0.0"));
        assertEquals(false, Loopback.host("::"));
    }
}
