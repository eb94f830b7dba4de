package io.jublk.daemon;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Which unit a server belongs to decides who starts its successor on 'ublk restart'. */
class SystemdUnitTest {
    @Test
    void theServiceIsTheLastComponentOfTheCgroupV2Path() {
        assertEquals("jublk@t.service",
                SystemdUnit.fromCgroup(List.of("0::/system.slice/system-jublk.slice/jublk@t.service")));
    }

    @Test
    void aSessionScopeOrAMissingV2LineIsNoUnit() {
        assertNull(SystemdUnit.fromCgroup(List.of("0::/user.slice/user-0.slice/session-3.scope")));
        assertNull(SystemdUnit.fromCgroup(List.of("1:name=systemd:/system.slice/x.service")), "cgroup v1 only: unknown");
        assertNull(SystemdUnit.fromCgroup(List.of()));
    }
}
