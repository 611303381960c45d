package org.vfio4j.common.dt;

/**
 * Name rules of the Devicetree Specification (v0.4, §2.2.1 and §2.2.4), checked when nodes and
 * properties are built so a bad name fails where it is made, not as a kernel that ignores a node.
 */
final class DtNames {
    private DtNames() {
    }

    /** Node name characters: {@code 0-9 a-z A-Z , . _ + -}, 1 to 31 of them. */
    static boolean isNodeName(String name) {
        if (name.isEmpty() || name.length() > 31) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && ",._+-".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Unit addresses: the node-name characters without the length limit, never empty. */
    static boolean isUnitAddress(String unit) {
        if (unit.isEmpty()) {
            return false;
        }
        for (int i = 0; i < unit.length(); i++) {
            char c = unit.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && ",._+-".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Property names: {@code 0-9 a-z A-Z , . _ + ? # -}, 1 to 31 of them. */
    static boolean isPropertyName(String name) {
        if (name.isEmpty() || name.length() > 31) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && ",._+?#-".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Labels as dtc accepts them: {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
    static boolean isLabel(String label) {
        if (label.isEmpty()) {
            return false;
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            boolean ok = c < 128 && (Character.isLetter(c) || c == '_' || (i > 0 && Character.isDigit(c)));
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
