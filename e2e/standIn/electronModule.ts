/** `electron` as the built main imports it (named exports), backed by the recording stand-in. */
import { electron } from '../../app/main/testing/standInElectron.js';

export const { app, BrowserWindow, ipcMain, protocol, net, session, Menu, dialog, utilityProcess } = electron;
export default electron;
