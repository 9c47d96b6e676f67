module barekit.test/modcheck

go 1.19
